// MLflow credentials: bearer token or basic user/password, from the environment (the trainer)
// or from a Kubernetes Secret's data (the operator). Secrets never reach logs or error messages.

export interface MlflowCredentials {
  token?: string;
  username?: string;
  password?: string;
}

type Env = Record<string, string | undefined>;

/** MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, as MLflow's own client reads them. */
export function credentialsFromEnv(env: Env = process.env): MlflowCredentials {
  return clean({
    token: env.MLFLOW_TRACKING_TOKEN,
    username: env.MLFLOW_TRACKING_USERNAME,
    password: env.MLFLOW_TRACKING_PASSWORD,
  });
}

/**
 * From a Secret: either the already-decoded `{token, username, password}` object, or a Secret's
 * `data` (base64, pass `{ base64: true }`). The env-style key names are accepted too, so one Secret
 * can be mounted with envFrom and read by the operator alike.
 */
export function credentialsFromSecretData(
  data: Record<string, string | undefined> | undefined,
  opts: { base64?: boolean } = {},
): MlflowCredentials {
  if (!data) return {};
  const get = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = data[k];
      if (v !== undefined) return opts.base64 ? Buffer.from(v, "base64").toString("utf8") : v;
    }
    return undefined;
  };
  return clean({
    token: get("token", "MLFLOW_TRACKING_TOKEN"),
    username: get("username", "MLFLOW_TRACKING_USERNAME"),
    password: get("password", "MLFLOW_TRACKING_PASSWORD"),
  });
}

/** Basic wins over bearer when both are set, as in MLflow's Python client. */
export function authorizationHeader(c: MlflowCredentials): string | undefined {
  if (c.username && c.password) {
    return `Basic ${Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64")}`;
  }
  if (c.token) return `Bearer ${c.token}`;
  return undefined;
}

/** Removes every secret value (and any Authorization header value) from text meant for a log or an error. */
export function redact(text: string, c: MlflowCredentials): string {
  let out = text.replace(/(authorization["']?\s*[:=]\s*["']?)(Basic|Bearer)\s+[^\s"',}]+/gi, "$1$2 [REDACTED]");
  const header = authorizationHeader(c);
  const secrets = [c.token, c.password, header, header?.split(" ")[1]].filter(
    (s): s is string => typeof s === "string" && s.length >= 4,
  );
  for (const s of secrets) out = out.split(s).join("[REDACTED]");
  return out;
}

function clean(c: MlflowCredentials): MlflowCredentials {
  const out: MlflowCredentials = {};
  if (c.token) out.token = c.token;
  if (c.username) out.username = c.username;
  if (c.password) out.password = c.password;
  return out;
}
