// Cross-field rules, written once in two languages: CEL for the API server and TypeScript for the runtime.
// Each rule is attached to one object of the schema (its `self`); test/unit/api proves both halves agree.

/** A rule about several fields of one object. */
export interface CrossFieldRule<T = any> {
  /** CEL expression evaluated by the API server with `self` = the object the rule is attached to. */
  cel: string;
  /** The same rule for the runtime. */
  holds: (self: T) => boolean;
  message: string;
  /** The field the message is about, relative to `self` (a CRD `fieldPath`), e.g. ".regions". */
  field?: string;
}

/** A rule that compares an object to its previous version (CEL `oldSelf`): only the API server checks it. */
export interface TransitionRule {
  cel: string;
  message: string;
}

const has = (o: object, k: string): boolean => (o as Record<string, unknown>)[k] !== undefined;

/** `exactly one of` over optional keys: CEL needs `has()`, the runtime counts defined keys. */
export function exactlyOneOf(keys: string[], what: string): CrossFieldRule<object> {
  const cel = keys.map((k) => `(has(self.${k}) ? 1 : 0)`).join(" + ") + " == 1";
  return {
    cel,
    holds: (self) => keys.filter((k) => has(self, k)).length === 1,
    message: `set exactly one of ${what}.${keys.join(`, ${what}.`)}`,
  };
}

/** Fields that may not change once the object exists: a new object of the kind is the way to change them. */
export const immutable = (field: string, kind = "MemeExperiment"): TransitionRule => ({
  cel: "self == oldSelf",
  message: `${field} is immutable: create a new ${kind} to change it`,
});
