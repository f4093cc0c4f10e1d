// The pod runner's translation of a pod into a local process, on the very pod template the operator builds for the
// quickstart: the command, the environment with its container paths moved to local folders, the token to make.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadOneExperiment } from "../../api/load.ts";
import { buildJob } from "../../operator/builders/job.ts";
import { jobUnitsFor } from "../../operator/builders/job-units.ts";
import { expand, planLocalContainer, type Lookups, type Pod } from "./local-container.ts";
import { terminationMessageOf } from "./pod-runner.ts";

const layout = { podDir: "/r/pod-a", claimsDir: "/r/claims", executables: { memeops: ["/usr/bin/node", "/repo/cli/bin/memeops.mjs"] }, baseEnv: { PATH: "/usr/bin" } };
const noLookups: Lookups = { secret: async () => undefined, configMap: async () => undefined };

async function quickstartPod(): Promise<Pod> {
  const exp = await loadOneExperiment("conf/experiments/quickstart.yaml");
  const [unit] = jobUnitsFor(exp.spec);
  const job = buildJob({ name: "quickstart", namespace: "ns", uid: "u-1" }, exp.spec, unit!, {}, { trainerImage: "img", reportUrl: "http://127.0.0.1:9" });
  const template = job.spec.template as Pod;
  return { metadata: { ...template.metadata, name: "quickstart-run-abc", namespace: "ns", uid: "pod-uid" }, spec: { ...template.spec, nodeName: "n" } };
}

describe("a pod as a local process", () => {
  test("the operator's quickstart pod: same command and environment, container paths on local folders", async () => {
    const pod = await quickstartPod();
    const c = pod.spec.containers[0];
    const plan = await planLocalContainer(pod, layout, noLookups);
    expect(plan.argv).toEqual(["/usr/bin/node", "/repo/cli/bin/memeops.mjs", ...c.command.slice(1)]);
    const env: Record<string, string> = Object.fromEntries(c.env.map((e: Pod) => [e.name, e.value]));
    expect(plan.env).toMatchObject({
      MEMEOPS_DATA_DIR: "/r/pod-a/volumes/data",
      MEMEOPS_TERMINATION_MESSAGE_PATH: "/r/pod-a/termination-log",
      MEMEOPS_REPORT_TOKEN_FILE: "/r/pod-a/volumes/report-token/token",
      HOME: "/r/pod-a/volumes/tmp",
      TMPDIR: "/r/pod-a/volumes/tmp",
      PATH: "/usr/bin",
    });
    expect(Object.keys(plan.env).sort()).toEqual([...Object.keys(env), "PATH", "TMPDIR"].sort());
    // every value is the container's, except that no container path of a mount is left
    const containerPaths: string[] = [...c.volumeMounts.map((m: Pod) => m.mountPath), c.terminationMessagePath];
    for (const [k, v] of Object.entries(env)) {
      const inside = containerPaths.find((p) => v === p || v.startsWith(`${p}/`));
      if (!inside) expect(plan.env[k], k).toBe(v);
      else expect(plan.env[k], k).toMatch(/^\/r\/pod-a\//);
    }
    // the experiment itself reaches the trainer untouched
    expect(plan.env.MEMEOPS_EXPERIMENT).toBe(env.MEMEOPS_EXPERIMENT);
    expect(plan.tokens).toEqual([{ file: "/r/pod-a/volumes/report-token/token", audience: "memeops", expirationSeconds: 3600 }]);
    expect(plan.cwd).toBe("/r/pod-a/cwd");
    expect(plan.terminationMessagePolicy).toBe("FallbackToLogsOnError");
  });

  test("env from the downward API, Secrets and $(VAR) references; claims shared by the namespace's pods", async () => {
    const pod: Pod = {
      metadata: { name: "p", namespace: "ns", uid: "u", labels: { team: "memes" } },
      spec: {
        nodeName: "node-1",
        volumes: [
          { name: "store", persistentVolumeClaim: { claimName: "shared" } },
          { name: "hf", secret: { secretName: "mlflow", items: [{ key: "TOKEN", path: "token" }] } },
        ],
        containers: [
          {
            command: ["memeops", "trainer", "$(STAGE)", "$$(STAGE)"],
            envFrom: [{ secretRef: { name: "mlflow" }, prefix: "X_" }],
            env: [
              { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "TEAM", valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
              { name: "TOKEN", valueFrom: { secretKeyRef: { name: "mlflow", key: "TOKEN" } } },
              { name: "STAGE", value: "train" },
              { name: "OUT", value: "/store/$(POD)/out" },
              { name: "HF_TOKEN_FILE", value: "/secrets/hf/token" },
            ],
            volumeMounts: [
              { name: "store", mountPath: "/store" },
              { name: "hf", mountPath: "/secrets/hf", readOnly: true },
            ],
          },
        ],
      },
    };
    const lookups: Lookups = { secret: async (_ns, name) => (name === "mlflow" ? { TOKEN: "s3cret" } : undefined), configMap: async () => undefined };
    const plan = await planLocalContainer(pod, { ...layout, podDir: "/r/p" }, lookups);
    expect(plan.argv.slice(2)).toEqual(["trainer", "train", "$(STAGE)"]);
    expect(plan.env).toMatchObject({ POD: "p", TEAM: "memes", TOKEN: "s3cret", X_TOKEN: "s3cret", OUT: "/r/claims/shared/p/out", HF_TOKEN_FILE: "/r/p/volumes/hf/token" });
    expect(plan.dirs).toContain("/r/claims/shared");
    expect(plan.files).toEqual([{ file: "/r/p/volumes/hf/token", content: "s3cret" }]);
  });

  test("what it cannot run is refused by name, not run differently", async () => {
    const pod = await quickstartPod();
    pod.spec.volumes.push({ name: "host", hostPath: { path: "/etc" } });
    await expect(planLocalContainer(pod, layout, noLookups)).rejects.toThrow(/volume host: only emptyDir/);
    const missing = await quickstartPod();
    missing.spec.volumes.push({ name: "cfg", configMap: { name: "absent" } });
    await expect(planLocalContainer(missing, layout, noLookups)).rejects.toThrow(/volume cfg: configMap absent does not exist/);
    const other = await quickstartPod();
    other.spec.containers[0].command = ["python", "train.py"];
    await expect(planLocalContainer(other, layout, noLookups)).rejects.toThrow(/no local executable for the image's python/);
    expect(expand("$(A)-$(B)-$$", { A: "1" })).toBe("1-$(B)-$");
  });

  test("termination message: the file; on failure without one, the log's tail (FallbackToLogsOnError)", () => {
    const dir = mkdtempSync(join(tmpdir(), "memeops-term-"));
    const plan = { terminationMessagePath: join(dir, "termination-log"), terminationMessagePolicy: "FallbackToLogsOnError" as const };
    const log = join(dir, "log");
    writeFileSync(log, Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n") + "\n");
    writeFileSync(plan.terminationMessagePath, "");
    expect(terminationMessageOf(plan, 0, log)).toBe("");
    const tail = terminationMessageOf(plan, 1, log);
    expect(tail.endsWith("line 199")).toBe(true);
    expect(tail).not.toContain("line 119\n");
    expect(terminationMessageOf({ ...plan, terminationMessagePolicy: "File" }, 1, log)).toBe("");
    writeFileSync(plan.terminationMessagePath, '{"kind":"result"}');
    expect(terminationMessageOf(plan, 1, log)).toBe('{"kind":"result"}');
  });
});
