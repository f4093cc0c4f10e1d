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

/** A reference to one key of a Secret in the experiment's namespace. */
export const secretKeyRef = () =>
  z.strictObject({
    name: k8sName().describe("Secret name, in the experiment's namespace"),
    key: str(253).describe("key inside the Secret"),
  });

/** Add the CEL transition rule `self == oldSelf` to a field, keeping the rules it already carries. */
export function immutableAs<T extends z.ZodType>(schema: T, field: string): T {
  const meta = schema.meta() ?? {};
  const existing = (meta["x-kubernetes-validations"] as unknown[] | undefined) ?? [];
  const rule = immutable(field);
  return schema.meta({ ...meta, "x-kubernetes-validations": [...existing, { rule: rule.cel, message: rule.message }] }) as T;
}
