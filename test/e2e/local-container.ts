// How a pod's container runs as a local process: its command with a local executable for the image's, its
// environment resolved as the kubelet resolves it, its volumes as folders. Pure apart from the Secret/ConfigMap
// lookups passed in; the runner creates the folders and tokens it lists.
import { join } from "node:path";

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Pod = any;

export interface TokenFile {
  /** local file the token is written to */
  file: string;
  audience?: string;
  expirationSeconds: number;
}

export interface LocalContainer {
  /** the local executable first */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** folders to create before the start (volumes and the working directory) */
  dirs: string[];
  tokens: TokenFile[];
  /** files of Secret and ConfigMap volumes */
  files: { file: string; content: string }[];
  terminationMessagePath: string;
  terminationMessagePolicy: "File" | "FallbackToLogsOnError";
}

export interface Lookups {
  /** a Secret's decoded data or a ConfigMap's data; undefined when it does not exist */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface LocalLayout {
  /** this pod's folder: volumes/, cwd/, termination-log */
  podDir: string;
  /** PersistentVolumeClaims of the namespace, one folder each, shared by its pods as a real claim is */
  claimsDir: string;
  /** the image's executables: name -> local argv prefix (e.g. memeops -> node cli/bin/memeops.mjs) */
  executables: Record<string, string[]>;
  /** what the image's own environment would provide (PATH at least) */
  baseEnv: Record<string, string>;
}

export class UnsupportedPodError extends Error {}

const fail = (pod: Pod, what: string): never => {
  throw new UnsupportedPodError(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${what}`);
};

/** The kubelet's $(VAR) expansion: defined variables are replaced, $$ escapes, unknown references stay as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === "$$" ? "$" : name !== undefined && name in env ? env[name]! : m));
}

/** The downward API fields a fieldRef may name. */
export function podField(pod: Pod, path: string): string {
  const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (keyed) return pod.metadata?.[keyed[1]!]?.[keyed[2]!] ?? "";
  const fields: Record<string, () => unknown> = {
    "metadata.name": () => pod.metadata?.name,
    "metadata.namespace": () => pod.metadata?.namespace,
    "metadata.uid": () => pod.metadata?.uid,
    "spec.nodeName": () => pod.spec?.nodeName,
    "spec.serviceAccountName": () => pod.spec?.serviceAccountName ?? "default",
    "status.hostIP": () => pod.status?.hostIP,
    "status.podIP": () => pod.status?.podIP,
  };
  const get = fields[path] ?? fail(pod, `fieldRef ${path} is not supported by the pod runner`);
  return String(get() ?? "");
}

/** Container paths under a mount (or the termination message path) rewritten to their local folders. */
export function pathMapper(mounts: { containerPath: string; localPath: string }[]): (value: string) => string {
  const longestFirst = [...mounts].sort((a, b) => b.containerPath.length - a.containerPath.length);
  return (value) => {
    for (const m of longestFirst) {
      if (value === m.containerPath) return m.localPath;
      if (value.startsWith(`${m.containerPath.replace(/\/$/, "")}/`)) return join(m.localPath, value.slice(m.containerPath.length));
    }
    return value;
  };
}

async function localVolumes(pod: Pod, layout: LocalLayout, lookups: Lookups) {
  const dirs = new Map<string, string>();
  const tokens: TokenFile[] = [];
  const files: LocalContainer["files"] = [];
  for (const v of pod.spec.volumes ?? []) {
    const ref = v.secret ?? v.configMap;
    const source = ref ? { kind: v.secret ? ("secret" as const) : ("configMap" as const), name: (ref.secretName ?? ref.name) as string, items: ref.items, optional: ref.optional } : undefined;
    if (source) {
      const dir = join(layout.podDir, "volumes", v.name);
      const data = (await lookups[source.kind](pod.metadata.namespace, source.name)) ?? (source.optional ? {} : fail(pod, `volume ${v.name}: ${source.kind} ${source.name} does not exist`));
      const items: { key: string; path: string }[] = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const { key, path } of items) {
        const content = data[key] ?? fail(pod, `volume ${v.name}: key ${key} not in ${source.kind} ${source.name}`);
        files.push({ file: join(dir, path), content });
      }
      dirs.set(v.name, dir);
    } else if (v.emptyDir) dirs.set(v.name, join(layout.podDir, "volumes", v.name));
    else if (v.persistentVolumeClaim) dirs.set(v.name, join(layout.claimsDir, v.persistentVolumeClaim.claimName));
    else if (v.projected) {
      const dir = join(layout.podDir, "volumes", v.name);
      for (const s of v.projected.sources ?? []) {
        const t = s.serviceAccountToken ?? fail(pod, `volume ${v.name}: only serviceAccountToken projections are supported`);
        tokens.push({ file: join(dir, t.path), audience: t.audience, expirationSeconds: t.expirationSeconds ?? 3600 });
      }
      dirs.set(v.name, dir);
    } else fail(pod, `volume ${v.name}: only emptyDir, persistentVolumeClaim, secret, configMap and projected tokens are supported`);
  }
  return { dirs, tokens, files };
}

async function resolveEnv(pod: Pod, c: Pod, base: Record<string, string>, lookups: Lookups): Promise<Record<string, string>> {
  const ns: string = pod.metadata.namespace;
  const env: Record<string, string> = { ...base };
  const source = async (kind: "secret" | "configMap", name: string, optional: boolean | undefined) => {
    const data = await lookups[kind](ns, name);
    return data ?? (optional ? {} : fail(pod, `${kind} ${name} (container env) does not exist`));
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    const data = await source(from.secretRef ? "secret" : "configMap", ref.name, ref.optional);
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ""}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) env[e.name] = expand(e.value ?? "", env);
    else if (vf.fieldRef) env[e.name] = podField(pod, vf.fieldRef.fieldPath);
    else if (vf.secretKeyRef || vf.configMapKeyRef) {
      const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
      const value = (await source(vf.secretKeyRef ? "secret" : "configMap", ref.name, ref.optional))[ref.key];
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) fail(pod, `env ${e.name}: key ${ref.key} not in ${ref.name}`);
    } else fail(pod, `env ${e.name}: only value, fieldRef, secretKeyRef and configMapKeyRef are supported`);
  }
  return env;
}

/** What to run for the pod's (single) container. */
export async function planLocalContainer(pod: Pod, layout: LocalLayout, lookups: Lookups): Promise<LocalContainer> {
  const containers = pod.spec.containers ?? [];
  if (containers.length !== 1 || pod.spec.initContainers?.length) fail(pod, "the pod runner runs pods of exactly one container and no init containers");
  const c = containers[0];
  const { dirs, tokens, files } = await localVolumes(pod, layout, lookups);
  const terminationMessagePath = join(layout.podDir, "termination-log");
  const mounts = (c.volumeMounts ?? []).map((m: Pod) => {
    if (m.subPath || m.subPathExpr) fail(pod, `volumeMount ${m.mountPath}: subPath is not supported`);
    return { containerPath: m.mountPath as string, localPath: dirs.get(m.name) ?? fail(pod, `volumeMount ${m.mountPath}: no volume ${m.name}`) };
  });
  const toLocal = pathMapper([...mounts, { containerPath: c.terminationMessagePath ?? "/dev/termination-log", localPath: terminationMessagePath }]);

  const env = Object.fromEntries(Object.entries(await resolveEnv(pod, c, layout.baseEnv, lookups)).map(([k, v]) => [k, toLocal(v)]));
  // The container's /tmp is a volume; without TMPDIR a local Node process would write to the host's /tmp instead.
  const tmp = mounts.find((m: { containerPath: string }) => m.containerPath === "/tmp");
  if (tmp && env.TMPDIR === undefined) env.TMPDIR = tmp.localPath;

  const words: string[] = [...(c.command ?? []), ...(c.args ?? [])].map((w: string) => expand(w, env));
  if (!words.length) fail(pod, "the container has no command: the pod runner cannot run an image's entrypoint");
  const executable = layout.executables[words[0]!] ?? fail(pod, `no local executable for the image's ${words[0]}`);
  const cwd = c.workingDir ? toLocal(c.workingDir) : join(layout.podDir, "cwd");
  if (cwd === c.workingDir) fail(pod, `workingDir ${c.workingDir} is not on a volume`);
  return {
    argv: [...executable, ...words.slice(1)],
    env,
    cwd,
    dirs: [...new Set([...dirs.values(), cwd])],
    tokens,
    files,
    terminationMessagePath,
    terminationMessagePolicy: c.terminationMessagePolicy === "FallbackToLogsOnError" ? "FallbackToLogsOnError" : "File",
  };
}
