{{/* Names and labels shared by every template. */}}
{{- define "memeops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "memeops.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The operator's objects: Deployment, report Service (its DNS name is the default report URL), ClusterRoles. */}}
{{- define "memeops.operatorName" -}}
{{- printf "%s-operator" (include "memeops.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "memeops.serviceAccountName" -}}
{{- default (include "memeops.operatorName" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "memeops.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "memeops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: memeops
{{- end }}

{{- define "memeops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "memeops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "memeops.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{- define "memeops.reportUrl" -}}
{{- $scheme := ternary "https" "http" (ne .Values.operator.reportTls.secretName "") }}
{{- if and .Values.operator.reportTls.secretName .Values.operator.reportUrl (not (hasPrefix "https://" .Values.operator.reportUrl)) }}
{{- fail "operator.reportUrl must be https:// when operator.reportTls.secretName is set: the operator serves TLS only" }}
{{- end }}
{{- default (printf "%s://%s.%s.svc:%d" $scheme (include "memeops.operatorName" .) .Release.Namespace (int .Values.ports.report)) .Values.operator.reportUrl }}
{{- end }}

{{/* key=v,key2=v2 for --pod-labels (MEMEOPS_POD_LABELS), in key order so renders are stable. */}}
{{- define "memeops.podLabelsFlag" -}}
{{- $pairs := list }}
{{- range $k, $v := .Values.operator.podLabels }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* The namespaces trainer pods run in, as JSON (fromJsonArray it): the watched ones, or the release namespace. */}}
{{- define "memeops.trainerNamespaces" -}}
{{- .Values.operator.watchNamespaces | default (list .Release.Namespace) | toJson }}
{{- end }}

{{/* The models claim every trainer Job mounts (the operator's --models-claim): the same name in each namespace. */}}
{{- define "memeops.modelsClaim" -}}
{{- default (printf "%s-models" (include "memeops.fullname" .) | trunc 63 | trimSuffix "-") .Values.models.existingClaim }}
{{- end }}

{{- define "memeops.modelsExportName" -}}
{{- printf "%s-models-export" (include "memeops.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
