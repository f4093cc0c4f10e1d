// Download one file over HTTPS: hashed while streaming, written atomically, so concurrent trainers never see a
// half-written model.
import { createHash } from "node:crypto";
import { fetch } from "undici";
import { writeFileAtomic } from "./atomic-file.ts";

export interface DownloadOptions {
  bearerToken?: string;
  attempts?: number;
}

export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`GET ${url}: HTTP ${status}${status === 401 || status === 403 ? " (check the bearer token)" : ""}`);
  }
}

/** Fetch `url` into `dest`; returns the sha256 of the bytes written. Retries network errors and 5xx. */
export async function downloadFile(url: URL, dest: string, options: DownloadOptions = {}): Promise<string> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(url, dest, options.bearerToken);
    } catch (error) {
      const retryable = !(error instanceof HttpStatusError) || error.status >= 500 || error.status === 429;
      if (!retryable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}

async function downloadOnce(url: URL, dest: string, bearerToken: string | undefined): Promise<string> {
  // undici drops the Authorization header on cross-origin redirects (hub -> CDN), as browsers do.
  const headers: Record<string, string> = bearerToken ? { authorization: `Bearer ${bearerToken}` } : {};
  const response = await fetch(url, { headers, redirect: "follow" });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new HttpStatusError(url.href, response.status);
  }
  const body = response.body;
  return writeFileAtomic(dest, async (file) => {
    const hash = createHash("sha256");
    for await (const chunk of body) {
      hash.update(chunk);
      await file.write(chunk);
    }
    return hash.digest("hex");
  });
}
