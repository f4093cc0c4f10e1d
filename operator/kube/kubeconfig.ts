// Where the API server is and how to authenticate to it: from a kubeconfig file or the pod's service account.
// Read here rather than with @kubernetes/client-node's KubeConfig because importing that package costs ~135 MB of
// resident memory (it loads its whole generated API) in a process that needs none of it. Kubeconfigs whose user
// runs an exec plugin or an auth-provider (cloud logins) still go through client-node, loaded only for them.
import { existsSync, readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

export interface Connection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  /** the bearer token now (a token file is re-read, since the kubelet rotates it) */
  token?: () => string | undefined;
  /** exec / auth-provider users: client-node adds the credentials to each request */
  authenticate?: (opts: RequestOptions) => Promise<void>;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** client-go re-reads a token file every minute */
const TOKEN_RELOAD_MS = 60_000;

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Fields = Record<string, unknown>;

/** --kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config, else the pod's service account. */
export async function loadConnection(path?: string, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const home = join(homedir(), ".kube", "config");
  const file = path ?? env.KUBECONFIG?.split(":").find(Boolean) ?? (existsSync(home) ? home : undefined);
  if (file) return fromKubeconfig(file);
  if (env.KUBERNETES_SERVICE_HOST) return inCluster(env);
  throw new Error("no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST)");
}

export function inCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): Connection {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  return {
    server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
    ca: readFileSync(join(dir, "ca.crt")),
    token: tokenFile(join(dir, "token")),
  };
}

export async function fromKubeconfig(file: string): Promise<Connection> {
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as Fields;
  const pick = (list: string, name: unknown): Fields | undefined => {
    const entry = (doc[list] as Named<Fields>[] | undefined)?.find((e) => e.name === name);
    return entry?.[list.slice(0, -1) as "cluster" | "user" | "context"];
  };
  const current = doc["current-context"];
  if (!current) throw new Error(`${file}: no current-context`);
  const context = pick("contexts", current);
  if (!context) throw new Error(`${file}: contexts has no "${String(current)}" (current-context)`);
  const cluster = pick("clusters", context.cluster);
  if (typeof cluster?.server !== "string") throw new Error(`${file}: clusters["${String(context.cluster)}"].server is missing`);
  const user = pick("users", context.user) ?? {};
  const local = (p: unknown) => (isAbsolute(String(p)) ? String(p) : join(dirname(file), String(p)));
  const bytes = (inline: unknown, path: unknown) => (typeof inline === "string" ? Buffer.from(inline, "base64") : path ? readFileSync(local(path)) : undefined);

  const conn: Connection = {
    server: new URL(cluster.server),
    ca: bytes(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: bytes(user["client-certificate-data"], user["client-certificate"]),
    key: bytes(user["client-key-data"], user["client-key"]),
    insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] === true,
    ...(typeof cluster["tls-server-name"] === "string" && { tlsServerName: cluster["tls-server-name"] }),
  };
  if (user.exec || user["auth-provider"]) {
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    conn.authenticate = (opts) => kc.applyToHTTPSOptions(opts);
  } else if (typeof user.token === "string") {
    const token = user.token;
    conn.token = () => token;
  } else if (user.tokenFile) {
    conn.token = tokenFile(local(user.tokenFile));
  } else if (user.username || user.password) {
    throw new Error(`${file}: users["${String(context.user)}"] uses username/password (basic auth), which Kubernetes no longer accepts`);
  }
  return conn;
}

function tokenFile(path: string): () => string {
  let cached: { token: string; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > TOKEN_RELOAD_MS) cached = { token: readFileSync(path, "utf8").trim(), at: Date.now() };
    return cached.token;
  };
}
