/** The MLflow UI page of a run. Credentials in the tracking URI are dropped: the URL ends up in object status. */
export function mlflowRunUrl(trackingUri: string, experimentId: string, runId: string): string {
  const u = new URL(trackingUri);
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  const base = u.toString().replace(/\/+$/, "");
  return `${base}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}
