// The chart with the real helm: lint --strict and template for the default values and for everything on, what
// the manifests hold (probes, non-root, read-only root, leader election, RBAC, ServiceMonitor, dashboards), the CRD
// identical to crds/, and bad values refused by values.schema.json with the field named.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { CHART, EVERYTHING, find, helm, render, root, templateArgs, type Manifest } from "./helm.ts";

const envOf = (d: Manifest) => Object.fromEntries((d.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
const rulesOf = (r: Manifest | undefined) => (r?.rules ?? []) as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];

/** The exact rights of the operator on the watched resources: what operator/ calls, nothing more. */
const WATCH_RULES = [
  { apiGroups: ["memeops.io"], resources: ["memeexperiments"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  { apiGroups: ["memeops.io"], resources: ["memeexperiments/status", "memesweeps/status"], verbs: ["patch"] },
  { apiGroups: ["memeops.io"], resources: ["memeexperiments/finalizers", "memesweeps/finalizers"], verbs: ["update"] },
  { apiGroups: ["memeops.io"], resources: ["memesweeps"], verbs: ["list", "watch"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: ["kueue.x-k8s.io"], resources: ["workloads"], verbs: ["list", "watch", "patch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];

describe("helm lint --strict", () => {
  test.each([
    ["default values", []],
    ["everything on", ["-f", EVERYTHING]],
  ])("%s", (_name, extra) => {
    const r = helm(["lint", "--strict", CHART, ...extra]);
    expect(r.out).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.code).toBe(0);
  });
});

describe("default values", () => {
  const { objects } = render();
  const deployment = find(objects, "Deployment")[0]!;
  const container = deployment.spec.template.spec.containers[0];

  test("renders the operator, its ServiceAccount and RBAC, two Services and the CRDs; nothing optional", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/memeops-operator",
      "ClusterRole/memeops-operator-tokenreview",
      "ClusterRoleBinding/memeops-operator",
      "ClusterRoleBinding/memeops-operator-tokenreview",
      "CustomResourceDefinition/memeexperiments.memeops.io",
      "CustomResourceDefinition/memesweeps.memeops.io",
      "Deployment/memeops-operator",
      "Service/memeops-operator",
      "Service/memeops-operator-metrics",
      "ServiceAccount/memeops-operator",
    ]);
  });

  test("the Deployment: probes, resources, non-root, read-only root file system, the operator's settings", () => {
    expect(deployment.spec.replicas).toBe(1);
    // the operator's own default worker count; GPUs as nvidia.com/gpu unless an experiment names another resource
    expect(container.args).toEqual(["operator", "--gpu-resource-name=nvidia.com/gpu"]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http-health" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http-health" });
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([8080, 8081, 8082]);
    expect(container.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
    expect(container.resources.limits.memory).toBe("512Mi");
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(deployment.spec.template.spec.serviceAccountName).toBe("memeops-operator");
    expect(envOf(deployment)).toMatchObject({
      MEMEOPS_NAMESPACES: "",
      MEMEOPS_TRAINER_IMAGE: "ghcr.io/memeops/trainer:0.1.0",
      MEMEOPS_REPORT_URL: "http://memeops-operator.memeops-system.svc:8082",
      MEMEOPS_LEADER_ELECT: "false",
      MEMEOPS_METRICS_PORT: "8080",
      MEMEOPS_HEALTH_PORT: "8081",
      MEMEOPS_REPORT_PORT: "8082",
    });
    expect(envOf(deployment)).not.toHaveProperty("MEMEOPS_MLFLOW_URI");
    expect(container.image).toBe("ghcr.io/memeops/operator:0.1.0");
  });

  test("the Services select the operator's pods; the report Service is where MEMEOPS_REPORT_URL points", () => {
    const podLabels = deployment.spec.template.metadata.labels;
    for (const s of find(objects, "Service")) for (const [k, v] of Object.entries(s.spec.selector)) expect(podLabels[k], `${s.metadata.name} selects ${k}`).toBe(v);
    expect(find(objects, "Service", "memeops-operator")[0]!.spec.ports).toEqual([{ name: "http-report", port: 8082, targetPort: "http-report", protocol: "TCP" }]);
    expect(find(objects, "Service", "memeops-operator-metrics")[0]!.spec.ports[0]).toMatchObject({ name: "http-metrics", port: 8080 });
  });

  test("cluster-wide RBAC is exactly the verbs the operator uses: no secrets, no leases without leader election", () => {
    expect(rulesOf(find(objects, "ClusterRole", "memeops-operator")[0])).toEqual(WATCH_RULES);
    expect(rulesOf(find(objects, "ClusterRole", "memeops-operator-tokenreview")[0])).toEqual([{ apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] }]);
    expect(find(objects, "Role")).toEqual([]);
    for (const b of find(objects, "ClusterRoleBinding")) expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: "memeops-operator", namespace: "memeops-system" }]);
  });
});

describe("everything on (ci/everything-values.yaml)", () => {
  const values = parseYaml(readFileSync(EVERYTHING, "utf8"));
  const { objects } = render({ valuesFiles: [EVERYTHING] });
  const deployment = find(objects, "Deployment")[0]!;

  test("two replicas elect a leader on a Lease they may touch only in the release namespace", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(envOf(deployment).MEMEOPS_LEADER_ELECT).toBe("true");
    const lease = find(objects, "Role", "memeops-operator-leader-election", "memeops-system")[0];
    expect(rulesOf(lease)).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["memeops-operator"], verbs: ["get", "update"] },
    ]);
    expect(find(objects, "RoleBinding", "memeops-operator-leader-election", "memeops-system")).toHaveLength(1);
  });

  test("watched namespaces get Roles (with the named MLflow Secret only) and no cluster-wide rights but TokenReview", () => {
    expect(envOf(deployment).MEMEOPS_NAMESPACES).toBe("memeops-team-a,memeops-team-b");
    expect(find(objects, "ClusterRole").map((r) => r.metadata.name)).toEqual(["memeops-operator-tokenreview"]);
    for (const ns of values.operator.watchNamespaces) {
      expect(rulesOf(find(objects, "Role", "memeops-operator", ns)[0])).toEqual([
        ...WATCH_RULES,
        { apiGroups: [""], resources: ["secrets"], resourceNames: ["mlflow-credentials"], verbs: ["get"] },
      ]);
      const binding = find(objects, "RoleBinding", "memeops-operator", ns)[0]!;
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "memeops-operator", namespace: "memeops-system" }]);
      const trainer = find(objects, "ServiceAccount", "memeops-trainer", ns)[0]!;
      expect(trainer.automountServiceAccountToken).toBe(false);
    }
  });

  test("the operator's settings reach its environment", () => {
    expect(envOf(deployment)).toMatchObject({
      MEMEOPS_TRAINER_IMAGE: values.operator.trainerImage,
      MEMEOPS_MLFLOW_URI: values.operator.mlflowUri,
      MEMEOPS_POD_LABELS: "cost-center.example.com/owner=research,team=vision",
      MEMEOPS_DEBUG: "1",
    });
    expect(deployment.spec.template.spec.containers[0].args).toEqual(["operator", `--gpu-resource-name=${values.operator.gpuResourceName}`, "--workers=8"]);
    expect(values.operator.gpuResourceName).toBe("amd.com/gpu");
  });

  test("a ServiceMonitor with the configured labels scrapes the metrics Service, keeping the operator's namespace label", () => {
    const sm = find(objects, "ServiceMonitor")[0]!;
    expect(sm.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(sm.spec.endpoints).toEqual([{ port: "http-metrics", path: "/metrics", honorLabels: true, interval: "15s", scrapeTimeout: "5s" }]);
    const metrics = find(objects, "Service", "memeops-operator-metrics")[0]!;
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(metrics.metadata.labels![k], k).toBe(v);
    expect(find(objects, "Service", "memeops-operator")[0]!.metadata.labels!["memeops.io/service"]).toBe("report");
  });

  test("each dashboard ships in a ConfigMap labelled for the Grafana sidecar, byte for byte", () => {
    const maps = find(objects, "ConfigMap");
    const files = readdirSync(join(CHART, "dashboards")).filter((f) => f.endsWith(".json")).sort();
    expect(maps).toHaveLength(files.length);
    for (const file of files) {
      const cm = maps.find((m) => file in m.data)!;
      expect(cm, file).toBeDefined();
      expect(cm.metadata.labels!.grafana_dashboard).toBe("1");
      expect(cm.metadata.annotations).toEqual({ grafana_folder: "ML experiments" });
      expect(cm.data[file]).toBe(readFileSync(join(CHART, "dashboards", file), "utf8").trimEnd());
    }
  });
});

describe("switches", () => {
  test("more than one replica turns leader election on by itself", () => {
    const { objects } = render({ values: { replicaCount: 3 } });
    expect(envOf(find(objects, "Deployment")[0]!).MEMEOPS_LEADER_ELECT).toBe("true");
    expect(find(objects, "Role", "memeops-operator-leader-election")).toHaveLength(1);
  });

  test("crds.install=false leaves the CRD out; crds.keep=false drops the keep policy", () => {
    expect(find(render({ values: { crds: { install: false } } }).objects, "CustomResourceDefinition")).toEqual([]);
    const crd = find(render({ values: { crds: { keep: false } } }).objects, "CustomResourceDefinition")[0]!;
    expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBeUndefined();
  });

  test("reportTls mounts the Secret, passes its files as the operator's TLS flags and makes the report URL https", () => {
    const plain = find(render().objects, "Deployment")[0]!;
    expect(envOf(plain).MEMEOPS_REPORT_URL).toBe("http://memeops-operator.memeops-system.svc:8082");
    expect(Object.keys(envOf(plain)).filter((k) => k.startsWith("MEMEOPS_REPORT_TLS"))).toEqual([]);
    expect(plain.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(["tmp"]);

    const d = find(render({ values: { operator: { reportTls: { secretName: "memeops-report-tls" } } } }).objects, "Deployment")[0]!;
    const dir = "/etc/memeops/report-tls";
    expect(envOf(d)).toMatchObject({
      MEMEOPS_REPORT_URL: "https://memeops-operator.memeops-system.svc:8082",
      MEMEOPS_REPORT_TLS_CERT: `${dir}/tls.crt`,
      MEMEOPS_REPORT_TLS_KEY: `${dir}/tls.key`,
      MEMEOPS_REPORT_TLS_CA: `${dir}/ca.crt`,
    });
    expect(d.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: "report-tls", mountPath: dir, readOnly: true });
    expect(d.spec.template.spec.volumes).toContainEqual({ name: "report-tls", secret: { secretName: "memeops-report-tls", defaultMode: 0o440 } });

    const noCa = find(render({ values: { operator: { reportTls: { secretName: "public", caKey: "" } } } }).objects, "Deployment")[0]!;
    expect(envOf(noCa).MEMEOPS_REPORT_TLS_CA).toBeUndefined();
    const r = helm(templateArgs({ values: { operator: { reportTls: { secretName: "t" }, reportUrl: "http://op.example.com:8082" } } }));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("operator.reportUrl must be https:// when operator.reportTls.secretName is set");
  });

  test("an explicit report URL and dashboard label are used as given", () => {
    const { objects } = render({ values: { operator: { reportUrl: "https://memeops-report.example.com" }, dashboards: { enabled: true, label: "grafana.io/dashboard", labelValue: "memeops", namespace: "monitoring", folder: "" } } });
    expect(envOf(find(objects, "Deployment")[0]!).MEMEOPS_REPORT_URL).toBe("https://memeops-report.example.com");
    const cm = find(objects, "ConfigMap")[0]!;
    expect(cm.metadata).toMatchObject({ namespace: "monitoring", labels: { "grafana.io/dashboard": "memeops" } });
    expect(cm.metadata.annotations).toBeUndefined();
  });
});

describe("the CRD", () => {
  const source = readFileSync(join(root, "crds", "memeexperiment.yaml"), "utf8");

  test.each(["memeexperiment", "memesweep"])("the chart's copy is crds/%s.yaml byte for byte (make crd updates both)", (kind) => {
    expect(readFileSync(join(CHART, "files", `${kind}.crd.yaml`), "utf8")).toBe(readFileSync(join(root, "crds", `${kind}.yaml`), "utf8"));
  });

  test("operator.gpuResourceName is checked as the CRD checks spec.resources.gpuResourceName", () => {
    const field = parseYaml(source).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.resources.properties.gpuResourceName;
    const value = JSON.parse(readFileSync(join(CHART, "values.schema.json"), "utf8")).definitions.extendedResourceName;
    expect(field.default).toBeUndefined(); // unset means the operator's setting
    expect(value.pattern).toBe(field.pattern);
    expect(value.maxLength).toBe(field.maxLength);
    expect(field["x-kubernetes-validations"]).toEqual([{ rule: "!self.contains('kubernetes.io/')", message: expect.any(String) }]);
    expect(value.not).toEqual({ pattern: "kubernetes\\.io/" });
  });

  test.each(["memeexperiment", "memesweep"])("the rendered %s CRD is crds/ plus the chart's labels and the keep policy", (kind) => {
    const want = parseYaml(readFileSync(join(root, "crds", `${kind}.yaml`), "utf8"));
    const crd = find(render().objects, "CustomResourceDefinition").find((c) => c.metadata.name === want.metadata.name)!;
    expect(crd.spec).toEqual(want.spec);
    expect(crd.metadata.name).toBe(want.metadata.name);
    expect(crd.metadata.labels).toMatchObject({ ...want.metadata.labels, "app.kubernetes.io/managed-by": "Helm" });
    expect(crd.metadata.annotations).toEqual({ ...want.metadata.annotations, "helm.sh/resource-policy": "keep" });
  });
});

describe("values.schema.json refuses bad values, naming the field", () => {
  test.each([
    ["replicaCount", { replicaCount: 0 }],
    ["replicaCount", { replicaCount: "two" }],
    ["operator.watchNamespaces.0", { operator: { watchNamespaces: ["Team_A"] } }],
    ["operator.mlflowUri", { operator: { mlflowUri: "mlflow:5000" } }],
    ["operator.trainerImage", { operator: { trainerImage: "" } }],
    ["operator.podLabels", { operator: { podLabels: { "bad key!": "x" } } }],
    ["operator.gpuResourceName", { operator: { gpuResourceName: "gpu" } }],
    ["operator.gpuResourceName", { operator: { gpuResourceName: "kubernetes.io/gpu" } }],
    ["operator.gpuResourceName", { operator: { gpuResourceName: "" } }],
    ["operator.reportTls.secretName", { operator: { reportTls: { secretName: "Not_A_Name" } } }],
    ["image.pullPolicy", { image: { pullPolicy: "Sometimes" } }],
    ["ports.metrics", { ports: { metrics: 70000 } }],
    ["securityContext.readOnlyRootFilesystem", { securityContext: { readOnlyRootFilesystem: false } }],
    ["podSecurityContext.runAsNonRoot", { podSecurityContext: { runAsNonRoot: false } }],
    ["metrics.serviceMonitor.interval", { metrics: { serviceMonitor: { interval: "30 seconds" } } }],
    ["dashboards.labelValue", { dashboards: { labelValue: "not a label value!" } }],
    ["replicas", { replicas: 2 }],
    ["operator.watchNamespace", { operator: { watchNamespace: ["a"] } }],
  ])("%s", (field, values) => {
    const r = helm(templateArgs({ values }));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("values don't meet the specifications of the schema");
    // helm prints "- FIELD: problem" (or "- (root)/parent: Additional property FIELD is not allowed")
    const leaf = field.split(".").pop()!;
    expect(r.out).toMatch(new RegExp(`- ${field.replace(/\./g, "\\.")}: |Additional property ${leaf} is not allowed`));
  });
});

describe("the models volume (models.*)", () => {
  const watched = { operator: { watchNamespaces: ["team-a", "team-b"] } };
  const on = (models: Record<string, unknown> = {}, more: Record<string, unknown> = watched) => render({ values: { ...more, models: { enabled: true, ...models } } }).objects;
  const exportJobs = (objs: Manifest[]) => find(objs, "Job").filter((j) => j.metadata.labels!["app.kubernetes.io/component"] === "models-export");
  const podOf = (job: Manifest) => job.spec.template.spec;

  test("off by default: no claim, no Job, and the operator mounts nothing", () => {
    const { objects } = render();
    expect(find(objects, "PersistentVolumeClaim")).toEqual([]);
    expect(exportJobs(objects)).toEqual([]);
    expect(envOf(find(objects, "Deployment")[0]!)).not.toHaveProperty("MEMEOPS_MODELS_CLAIM");
  });

  test("on: in each watched namespace a claim the chart creates, filled by an export Job; the operator mounts that claim", () => {
    const objects = on();
    expect(envOf(find(objects, "Deployment")[0]!).MEMEOPS_MODELS_CLAIM).toBe("memeops-models");
    for (const ns of ["team-a", "team-b"]) {
      const pvc = find(objects, "PersistentVolumeClaim", "memeops-models", ns)[0]!;
      expect(pvc.spec).toEqual({ accessModes: ["ReadWriteMany"], resources: { requests: { storage: "4Gi" } } });
      expect(pvc.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
      const [job] = exportJobs(objects).filter((j) => j.metadata.namespace === ns);
      const pod = podOf(job!);
      expect(pod.volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: "memeops-models" } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: "models", mountPath: "/models" });
    }
    expect(find(objects, "PersistentVolumeClaim", undefined, "memeops-system")).toEqual([]);
  });

  test("the export Job: the exporter with every name, --skip-valid; non-root, read-only root, no API token, fails at once on exit 2 or 3", () => {
    const objects = on();
    const jobs = exportJobs(objects);
    expect(jobs.map((j) => j.metadata.namespace)).toEqual(["team-a", "team-b"]);
    const job = jobs[0]!;
    const pod = podOf(job);
    const c = pod.containers[0];
    expect(c.image).toBe("ghcr.io/memeops/exporter:0.1.0");
    expect(c.args).toEqual(["export", "efficientnet", "resnet", "clip", "fasterrcnn", "blip", "--out", "/models", "--skip-valid"]);
    expect(c.env).toBeUndefined();
    expect(c.terminationMessagePolicy).toBe("FallbackToLogsOnError");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "4Gi" } });
    expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(job.spec.podFailurePolicy.rules).toEqual([{ action: "FailJob", onExitCodes: { containerName: "export", operator: "In", values: [2, 3] } }]);
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 3600 });
    // its ServiceAccount is bound to nothing and mounts no token
    const sa = find(objects, "ServiceAccount", pod.serviceAccountName, "team-a")[0]!;
    expect(sa.automountServiceAccountToken).toBe(false);
    expect([...find(objects, "RoleBinding"), ...find(objects, "ClusterRoleBinding")].flatMap((b) => b.subjects).map((s: { name: string }) => s.name)).not.toContain(pod.serviceAccountName);
    // not a hook: `helm install` does not wait for it
    expect(job.metadata.annotations?.["helm.sh/hook"]).toBeUndefined();
  });

  test("the Job's name is a hash of its spec: the same values give the same Job; another list, image or size another", () => {
    const nameOf = (models: Record<string, unknown>) => exportJobs(on(models))[0]!.metadata.name;
    const base = nameOf({});
    expect(base).toMatch(/^memeops-models-export-[0-9a-f]{8}$/);
    expect(nameOf({})).toBe(base);
    const others = [
      nameOf({ export: { names: ["efficientnet", "resnet", "clip", "fasterrcnn"] } }),
      nameOf({ export: { names: ["efficientnet"] } }),
      nameOf({ export: { image: { repository: "registry.example.com/exporter", tag: "0.2.0", pullPolicy: "Always" } } }),
      nameOf({ export: { resources: { requests: { cpu: "2" } } } }),
      nameOf({ existingClaim: "shared-models" }),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
    // the persistence settings are not in the Job: changing them does not run it again
    expect(nameOf({ persistence: { size: "10Gi" } })).toBe(base);
    const long = exportJobs(render({ release: "r".repeat(40), values: { ...watched, models: { enabled: true } } }).objects)[0]!.metadata.name;
    expect(long.length).toBeLessThanOrEqual(63);
  });

  test("an existing claim: no claim is created; the Job fills it and the operator mounts it", () => {
    const objects = on({ existingClaim: "shared-models" });
    expect(find(objects, "PersistentVolumeClaim")).toEqual([]);
    expect(envOf(find(objects, "Deployment")[0]!).MEMEOPS_MODELS_CLAIM).toBe("shared-models");
    for (const job of exportJobs(objects)) expect(podOf(job).volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: "shared-models" } });
  });

  test("export.enabled=false (files copied in by hand): the claim and the mount, no Job and no ServiceAccount for it", () => {
    const objects = on({ existingClaim: "offline-models", export: { enabled: false } });
    expect(exportJobs(objects)).toEqual([]);
    expect(find(objects, "ServiceAccount").map((s) => s.metadata.name)).toEqual(["memeops-operator"]);
    expect(envOf(find(objects, "Deployment")[0]!).MEMEOPS_MODELS_CLAIM).toBe("offline-models");
  });

  test("cluster-wide: the claim and the Job in the release namespace", () => {
    const objects = on({}, {});
    expect(find(objects, "PersistentVolumeClaim").map((p) => p.metadata.namespace)).toEqual(["memeops-system"]);
    expect(exportJobs(objects).map((j) => j.metadata.namespace)).toEqual(["memeops-system"]);
  });

  test("a hub token Secret becomes HF_TOKEN; storage class, access modes, size and keep reach the claim", () => {
    const objects = on({
      persistence: { size: "20Gi", storageClass: "nfs-client", accessModes: ["ReadWriteOnce"], keep: false },
      export: { hubTokenSecret: { name: "hf", key: "hf-token" } },
    });
    const pvc = find(objects, "PersistentVolumeClaim", "memeops-models", "team-a")[0]!;
    expect(pvc.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "nfs-client", resources: { requests: { storage: "20Gi" } } });
    expect(pvc.metadata.annotations).toBeUndefined();
    expect(podOf(exportJobs(objects)[0]!).containers[0].env).toEqual([{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf", key: "hf-token" } } }]);
  });

  test("the default names are the exporter's own entries (export/memeops_exporter/models), each exported by name", () => {
    const dir = join(root, "export/memeops_exporter/models");
    const entries = readdirSync(dir)
      .filter((f) => f.endsWith(".py"))
      .flatMap((f) => [...readFileSync(join(dir, f), "utf8").matchAll(/ENTRY = Entry\(\s*name="([a-z0-9_]+)"/g)].map((m) => m[1]!));
    const names = parseYaml(readFileSync(join(CHART, "values.yaml"), "utf8")).models.export.names as string[];
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const n of names) expect(entries, n).toContain(n);
  });
});

describe("values.schema.json refuses bad models values, naming the field", () => {
  test.each([
    ["models.export.names.0", { models: { export: { names: ["ResNet"] } } }],
    ["models.export.names", { models: { export: { names: [] } } }],
    ["models.persistence.accessModes.0", { models: { persistence: { accessModes: ["ReadWriteSometimes"] } } }],
    ["models.persistence.size", { models: { persistence: { size: "lots" } } }],
    ["models.existingClaim", { models: { existingClaim: "Not_A_Claim" } }],
    ["models.export.hubTokenSecret.name", { models: { export: { hubTokenSecret: { name: "HF Token" } } } }],
    ["models.export.backoffLimit", { models: { export: { backoffLimit: -1 } } }],
    ["models.volumeClaim", { models: { volumeClaim: "x" } }],
  ])("%s", (field, values) => {
    const r = helm(templateArgs({ values }));
    expect(r.code).not.toBe(0);
    const leaf = field.split(".").pop()!;
    expect(r.out).toMatch(new RegExp(`- ${field.replace(/\./g, "\\.")}: |Additional property ${leaf} is not allowed`));
  });
});
