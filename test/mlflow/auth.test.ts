// Basic auth against a real `mlflow server --app-name basic-auth`.
import { describe, expect, inject, it } from "vitest";
import { credentialsFromSecretData } from "../../tracking/mlflow/auth.ts";
import { MlflowError } from "../../tracking/mlflow/http.ts";
import { RestBackend } from "../../tracking/rest-backend.ts";
import { RunTracker } from "../../tracking/tracker.ts";
import { fastClient, recordingLogger, uniq } from "./helpers.ts";

const uri = inject("mlflowAuthUri");
const admin = inject("mlflowAdmin");

describe.skipIf(!uri)("basic auth", () => {
  it("logs a run with credentials from a Secret's data", async () => {
    const data = { username: Buffer.from(admin.username).toString("base64"), password: Buffer.from(admin.password).toString("base64") };
    const client = fastClient(uri, { credentials: credentialsFromSecretData(data, { base64: true }) });
    const t = new RunTracker(new RestBackend(client), { experimentName: uniq("auth"), runName: "a" }, { logger: recordingLogger() });
    t.logParams({ lr: 1 });
    t.logEpoch(0, { train_loss: 1 });
    expect(await t.finish()).toBe(true);
    expect((await client.getRun(t.runId!)).info.status).toBe("FINISHED");
    await client.close();
  });

  it("refuses missing or wrong credentials, and the error never shows the password", async () => {
    const anonymous = fastClient(uri);
    const e1 = await anonymous.getOrCreateExperiment(uniq("x")).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(MlflowError);
    expect((e1 as MlflowError).status).toBe(401);

    const wrong = fastClient(uri, { credentials: { username: admin.username, password: "wrong-password-123" } });
    const e2 = await wrong.getOrCreateExperiment(uniq("x")).catch((e: unknown) => e);
    expect((e2 as MlflowError).status).toBe(401);
    expect((e2 as MlflowError).retryable).toBe(false);
    expect(String((e2 as Error).message) + JSON.stringify(e2)).not.toContain("wrong-password-123");

    // Credentials in the URI become basic auth and never appear in the run URL.
    const inUri = new URL(uri);
    inUri.username = admin.username;
    inUri.password = admin.password;
    const c = fastClient(inUri.toString());
    const exp = await c.getOrCreateExperiment(uniq("uri-creds"));
    expect(c.runUrl(exp.experimentId, "r")).not.toContain(admin.password);
    await Promise.all([anonymous.close(), wrong.close(), c.close()]);
  });
});
