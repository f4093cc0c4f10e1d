// The identity of the MemeExperiment API. Everything that names the kind reads it from here.
export const GROUP = "memeops.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "MemeExperiment";
export const LIST_KIND = "MemeExperimentList";
export const PLURAL = "memeexperiments";
export const SINGULAR = "memeexperiment";
export const SHORT_NAMES = ["memex"];
export const CATEGORIES = ["memeops"];
export const CRD_NAME = `${PLURAL}.${GROUP}`;
