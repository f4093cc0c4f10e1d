// The identity of the memeops.io/v1alpha1 API. Everything that names a kind reads it from here.
export const GROUP = "memeops.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORIES = ["memeops"];

/** The names of one kind, as a CRD's spec.names spells them. */
export interface KindNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
}

export const EXPERIMENT: KindNames = {
  kind: "MemeExperiment",
  listKind: "MemeExperimentList",
  plural: "memeexperiments",
  singular: "memeexperiment",
  shortNames: ["memex"],
  categories: CATEGORIES,
};

export const SWEEP: KindNames = {
  kind: "MemeSweep",
  listKind: "MemeSweepList",
  plural: "memesweeps",
  singular: "memesweep",
  shortNames: ["memesweep"],
  categories: CATEGORIES,
};

export const crdName = (names: KindNames) => `${names.plural}.${GROUP}`;

// The MemeExperiment's names under the short constants the code has always used.
export const KIND = EXPERIMENT.kind;
export const LIST_KIND = EXPERIMENT.listKind;
export const PLURAL = EXPERIMENT.plural;
export const SINGULAR = EXPERIMENT.singular;
export const SHORT_NAMES = EXPERIMENT.shortNames;
export const CRD_NAME = crdName(EXPERIMENT);
