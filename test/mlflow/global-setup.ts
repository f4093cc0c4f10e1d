// vitest globalSetup for the "mlflow" project: installs the pinned MLflow (cached outside the clone),
// starts two real servers on free loopback ports (plain, and --app-name basic-auth), both with a
// sqlite backend store and proxied artifacts under a temp dir, and stops them afterwards.
// MEMEOPS_MLFLOW_URI=http://... reuses a running server instead, with MEMEOPS_MLFLOW_AUTH_URI for a
// basic-auth one (admin password as below); without it the auth tests are skipped.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { installMlflow, startServer, stopServer, type Started } from "./server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Plain MLflow server (no auth). */
    mlflowUri: string;
    /** Server with basic auth, "" when not started. */
    mlflowAuthUri: string;
    mlflowAdmin: { username: string; password: string };
    /** The venv's python, which has `mlflow` (to read file stores as MLflow does). */
    mlflowPython: string;
  }
}

const ADMIN = { username: "admin", password: "memeops-test-admin-pw" };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const venv = await installMlflow();
  const installS = ((Date.now() - t0) / 1000).toFixed(1);
  project.provide("mlflowPython", join(venv, "bin", "python"));
  project.provide("mlflowAdmin", ADMIN);

  const external = process.env.MEMEOPS_MLFLOW_URI;
  if (external) {
    project.provide("mlflowUri", external.replace(/\/+$/, ""));
    project.provide("mlflowAuthUri", process.env.MEMEOPS_MLFLOW_AUTH_URI?.replace(/\/+$/, "") ?? "");
    return async () => {};
  }

  const tmp = await mkdtemp(join(tmpdir(), "memeops-mlflow-"));
  const authIni = join(tmp, "auth.ini");
  await writeFile(
    authIni,
    [
      "[mlflow]",
      "default_permission = READ",
      `database_uri = sqlite:///${join(tmp, "auth", "basic_auth.db")}`,
      `admin_username = ${ADMIN.username}`,
      `admin_password = ${ADMIN.password}`,
      "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
      "",
    ].join("\n"),
  );
  const t1 = Date.now();
  const started = await Promise.allSettled([
    startServer(venv, join(tmp, "plain"), {}),
    startServer(venv, join(tmp, "auth"), { MLFLOW_AUTH_CONFIG_PATH: authIni }, ["--app-name", "basic-auth"]),
  ]);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    // Do not leave the other one running.
    await Promise.all(started.map((r) => (r.status === "fulfilled" ? stopServer(r.value.proc) : undefined)));
    throw failed.reason;
  }
  const servers = started.map((r) => (r as PromiseFulfilledResult<Started>).value);
  console.log(`[mlflow] install ${installS} s, servers up in ${((Date.now() - t1) / 1000).toFixed(1)} s: ${servers.map((s) => s.uri).join(" ")}`);
  project.provide("mlflowUri", servers[0]!.uri);
  project.provide("mlflowAuthUri", servers[1]!.uri);

  return async () => {
    await Promise.all(servers.map((s) => stopServer(s.proc)));
    await rm(tmp, { recursive: true, force: true });
  };
}

