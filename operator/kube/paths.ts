// REST paths of the resources the operator touches, in one place.
import { GROUP, PLURAL, SWEEP, VERSION } from "../../api/v1alpha1/groupversion.ts";

const ns = (namespace: string | undefined) => (namespace ? `/namespaces/${namespace}` : "");
export const paths = {
  experiments: (namespace?: string) => `/apis/${GROUP}/${VERSION}${ns(namespace)}/${PLURAL}`,
  experiment: (namespace: string, name: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`,
  experimentStatus: (namespace: string, name: string) => `${paths.experiment(namespace, name)}/status`,
  sweeps: (namespace?: string) => `/apis/${GROUP}/${VERSION}${ns(namespace)}/${SWEEP.plural}`,
  sweep: (namespace: string, name: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${SWEEP.plural}/${name}`,
  sweepStatus: (namespace: string, name: string) => `${paths.sweep(namespace, name)}/status`,
  jobs: (namespace?: string) => `/apis/batch/v1${ns(namespace)}/jobs`,
  job: (namespace: string, name: string) => `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`,
  pods: (namespace?: string) => `/api/v1${ns(namespace)}/pods`,
  pod: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/pods/${name}`,
  secret: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/secrets/${name}`,
  tokenReviews: () => `/apis/authentication.k8s.io/v1/tokenreviews`,
};

/**
 * The resource a request path names, with its subresource: `memeexperiments/status`, `pods`, `events`, `leases`.
 * The operator counts its requests by verb and resource, so a new write shows up as what it writes.
 */
export function resourceOf(path: string): string {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  // /api/v1/... or /apis/GROUP/VERSION/...
  let rest = parts.slice(parts[0] === "api" ? 2 : 3);
  if (rest[0] === "namespaces" && rest.length > 2) rest = rest.slice(2);
  return rest.length > 2 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? "");
}
