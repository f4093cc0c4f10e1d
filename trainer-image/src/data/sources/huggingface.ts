// A dataset repository on the Hugging Face hub, read file by file through the hub's resolve URLs
// ({endpoint}/datasets/{repo}/resolve/{revision}/{path}), the layout neuralcatcher/hateful_memes has:
// split files at the root, images under img/. Each file is cached under the storage path by its URL, which
// carries the revision.
import { NotFoundError } from "../download.ts";
import { bearer, resolveHfToken, type SecretRef } from "../hf-token.ts";
import type { DatasetSource, SourceContext } from "./source.ts";

export interface HuggingfaceSpec {
  repo: string;
  revision: string;
  endpoint: string;
  tokenSecret?: SecretRef;
}

export function resolveUrl(spec: HuggingfaceSpec, relPath: string): string {
  const endpoint = spec.endpoint.replace(/\/+$/, "");
  const path = relPath.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/datasets/${spec.repo}/resolve/${encodeURIComponent(spec.revision)}/${path}`;
}

export function huggingfaceSource(spec: HuggingfaceSpec, ctx: SourceContext): DatasetSource {
  let headers: Promise<Record<string, string>> | undefined;
  let commit: string | undefined;
  return {
    origin: `${spec.endpoint.replace(/\/+$/, "")}/datasets/${spec.repo} (revision ${spec.revision})`,
    async file(relPath, progress) {
      headers ??= resolveHfToken(spec.tokenSecret, ctx.env).then(bearer);
      try {
        const got = await ctx.cache.get(resolveUrl(spec, relPath), { headers: await headers, ...(progress ? { progress } : {}) });
        commit ??= got.repoCommit;
        return got.path;
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
    locate: (relPath) => resolveUrl(spec, relPath),
    notes: () => (commit && commit !== spec.revision ? [`revision ${spec.revision} resolved to commit ${commit}`] : []),
  };
}
