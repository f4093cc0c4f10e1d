// Small builders that keep spec.ts and status.ts declarative.
import { z } from "zod";
import { immutable, type CrossFieldRule, type TransitionRule } from "./rules.ts";

/** Attach rules to an object schema: the runtime checks `holds`, the CRD carries the CEL. */
export function withRules<T extends z.ZodType>(
  schema: T,
  rules: CrossFieldRule[],
  transitions: TransitionRule[] = [],
): T {
  const refined = rules.length
    ? schema.superRefine((value, ctx) => {
        for (const rule of rules) {
          if (!rule.holds(value)) {
            ctx.addIssue({ code: "custom", message: rule.message, path: rule.field ? rule.field.slice(1).split(".") : [] });
          }
        }
      })
    : schema;
  return refined.meta({ "x-kubernetes-validations": celValidations(rules, transitions) }) as T;
}

/** Rules as a CRD's `x-kubernetes-validations`. */
export function celValidations(rules: CrossFieldRule[], transitions: TransitionRule[] = []) {
  return [
    ...rules.map((r) => ({ rule: r.cel, message: r.message, ...(r.field ? { fieldPath: r.field } : {}) })),
    ...transitions.map((t) => ({ rule: t.cel, message: t.message })),
  ];
}

/** A bounded string: every string has a maximum length so CEL cost estimates stay within the server's budget. */
export const str = (max = 253) => z.string().min(1).max(max);

/** DNS-1123 subdomain, as Kubernetes object names. */
export const k8sName = () =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase DNS-1123 name");

/** The metadata fields memeops reads, checked; the API server owns the rest. `why` says what bounds the name. */
export const objectMeta = (maxName: number, why: string) =>
  z.looseObject({
    name: k8sName().max(maxName, `must be at most ${maxName} characters (${why})`),
    namespace: k8sName().optional(),
    uid: z.string().optional(),
    generation: z.int().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  });

/** A whole resource of a kind of this API: apiVersion and kind fixed, metadata, spec, the operator's status. */
export const resource = <S extends z.ZodType, T extends z.ZodType>(apiVersion: string, kind: string, metadata: ReturnType<typeof objectMeta>, spec: S, status: T) =>
  z.strictObject({
    apiVersion: z.literal(apiVersion, { error: `must be ${apiVersion}` }),
    kind: z.literal(kind, { error: `must be ${kind}` }),
    metadata,
    spec,
    status: status.optional(),
  });

/** A URI: scheme://... or an absolute path. */
export const uri = () =>
  z
    .string()
    .min(1)
    .max(2048)
    .regex(/^([a-z][a-z0-9+.-]*:\/\/\S+|\/\S*)$/, "must be a URI (https://, s3://, file://, hf://, pvc://) or an absolute path");

const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/** A Kubernetes resource quantity: `4`, `500m`, `16Gi`. Rendered as int-or-string in the CRD. */
export const quantity = () =>
  z
    .union([z.int().positive(), z.string().max(64).regex(QUANTITY, "must be a Kubernetes quantity such as 500m or 16Gi")])
    .meta({ "x-memeops-int-or-string": true });

/**
 * A string, number or boolean: a value of one of the MemeExperiment spec's scalar fields (a sweep's parameter values).
 * Not a structural type, and the API server cannot run CEL on an untyped node: the CRD keeps it untyped
 * (x-kubernetes-preserve-unknown-fields) and the runtime check (memeops validate, the operator's InvalidSpec) refuses
 * anything else.
 */
export const scalar = () => z.union([z.string().max(253), z.number(), z.boolean()]).meta({ "x-memeops-scalar": true });

/** A reference to one key of a Secret in the experiment's namespace. */
export const secretKeyRef = () =>
  z.strictObject({
    name: k8sName().describe("Secret name, in the experiment's namespace"),
    key: str(253).describe("key inside the Secret"),
  });

/** Add the CEL transition rule `self == oldSelf` to a field, keeping the rules it already carries. */
export function immutableAs<T extends z.ZodType>(schema: T, field: string, kind?: string): T {
  const meta = schema.meta() ?? {};
  const existing = (meta["x-kubernetes-validations"] as unknown[] | undefined) ?? [];
  const rule = immutable(field, kind);
  return schema.meta({ ...meta, "x-kubernetes-validations": [...existing, { rule: rule.cel, message: rule.message }] }) as T;
}
