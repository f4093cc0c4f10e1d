// Where a model file lives, as written in a spec: an absolute path (a mounted volume is just a path), file://,
// or https:// (http:// only on loopback, for tests and local mirrors). `#sha256=<hex>` pins the file's content.
import { fileURLToPath } from "node:url";

export type ModelLocation =
  | { kind: "local"; path: string; expectedSha256?: string }
  | { kind: "remote"; url: URL; expectedSha256?: string };

const SHA256 = /^[a-f0-9]{64}$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function parseModelUri(uri: string): ModelLocation {
  const hashAt = uri.indexOf("#");
  const base = hashAt < 0 ? uri : uri.slice(0, hashAt);
  const expectedSha256 = hashAt < 0 ? undefined : parseFragment(uri, uri.slice(hashAt + 1));
  const pinned = expectedSha256 === undefined ? {} : { expectedSha256 };

  if (base.startsWith("/")) return { kind: "local", path: base, ...pinned };
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`model URI ${JSON.stringify(uri)} is neither an absolute path nor a URL`);
  }
  switch (url.protocol) {
    case "file:":
      return { kind: "local", path: fileURLToPath(url), ...pinned };
    case "https:":
      return { kind: "remote", url, ...pinned };
    case "http:":
      if (LOOPBACK.has(url.hostname)) return { kind: "remote", url, ...pinned };
      throw new Error(`model URI ${uri}: plain http is accepted only on loopback; use https://`);
    default:
      throw new Error(
        `model URI ${uri}: scheme ${url.protocol} is not supported by the trainer's model loader ` +
          "(use https://, file:// or an absolute path; mount volumes and name the path)",
      );
  }
}

function parseFragment(uri: string, fragment: string): string {
  const match = /^sha256=(.*)$/.exec(fragment);
  if (!match || !SHA256.test(match[1] ?? "")) {
    throw new Error(`model URI ${uri}: the fragment must be #sha256=<64 lowercase hex digits>`);
  }
  return match[1]!;
}

/** The URI without its fragment: what identifies the download in the cache. */
export function describeLocation(location: ModelLocation): string {
  return location.kind === "local" ? location.path : location.url.href;
}
