// The operator's kubeconfig reader (operator/kube/kubeconfig.ts): the fields it honours and the errors it names.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fromKubeconfig, inCluster, loadConnection } from "../../../operator/kube/kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "memeops-kubeconfig-"));
function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://127.0.0.1:6443" }): string {
  const file = join(dir, `config-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "ctx",
      contexts: [{ name: "other", context: { cluster: "nope", user: "nope" } }, { name: "ctx", context: { cluster: "c", user: "u" } }],
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user }],
    }),
  );
  return file;
}

describe("kubeconfig", () => {
  test("the current context's server, inline CA and token", async () => {
    const c = await fromKubeconfig(kubeconfig({ token: "abc" }, { server: "https://10.0.0.1:443", "certificate-authority-data": Buffer.from("CA").toString("base64") }));
    expect(c.server.href).toBe("https://10.0.0.1/");
    expect(c.ca?.toString()).toBe("CA");
    expect(c.token?.()).toBe("abc");
    expect(c.authenticate).toBeUndefined();
  });

  test("file paths are relative to the kubeconfig; a token file is read", async () => {
    writeFileSync(join(dir, "ca.crt"), "FILE-CA");
    writeFileSync(join(dir, "token"), "from-file\n");
    const c = await fromKubeconfig(kubeconfig({ tokenFile: "token" }, { server: "https://h:1", "certificate-authority": "ca.crt", "insecure-skip-tls-verify": true }));
    expect(c.ca?.toString()).toBe("FILE-CA");
    expect(c.token?.()).toBe("from-file");
    expect(c.insecureSkipTLSVerify).toBe(true);
  });

  test("an exec user goes through client-node; basic auth and a missing server are named", async () => {
    const exec = await fromKubeconfig(kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" } }));
    expect(exec.authenticate).toBeTypeOf("function");
    await expect(fromKubeconfig(kubeconfig({ username: "a", password: "b" }))).rejects.toThrow(/users\["u"\] uses username\/password/);
    await expect(fromKubeconfig(kubeconfig({ token: "x" }, {}))).rejects.toThrow(/clusters\["c"\]\.server is missing/);
  });

  test("in a pod: the service host and the service account's CA and token", async () => {
    writeFileSync(join(dir, "ca.crt"), "SA-CA");
    writeFileSync(join(dir, "token"), "sa-token");
    const c = inCluster({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir);
    expect(c.server.host).toBe("[fd00::1]");
    expect(c.token?.()).toBe("sa-token");
    await expect(loadConnection(undefined, { HOME: dir })).rejects.toThrow(/no kubeconfig/);
  });
});
