// The Hugging Face token: from the Secret named by spec.dataset.source.huggingface.tokenSecret, which the operator
// mounts as a file at SECRETS_DIR/<secret name>/<key>, else from the HF_TOKEN environment variable, else none
// (public repos). The token is only ever put in an Authorization header; it is never logged or put in a URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const DEFAULT_SECRETS_DIR = "/var/run/secrets/memeops";

export interface SecretRef {
  name: string;
  key: string;
}

export async function resolveHfToken(
  secret: SecretRef | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (secret) {
    const file = join(env.MEMEOPS_SECRETS_DIR ?? DEFAULT_SECRETS_DIR, secret.name, secret.key);
    try {
      const token = (await readFile(file, "utf8")).trim();
      if (token) return token;
    } catch {
      // not mounted here (a local run): HF_TOKEN may stand in for it
    }
    if (env.HF_TOKEN?.trim()) return env.HF_TOKEN.trim();
    throw new Error(`Hugging Face token: secret ${secret.name}/${secret.key} is not mounted at ${file} and HF_TOKEN is not set`);
  }
  return env.HF_TOKEN?.trim() || undefined;
}

export const bearer = (token: string | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};
