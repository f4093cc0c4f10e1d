// vitest globalSetup for the "cluster" project: make sure a real control plane is up before any
// test file runs, and hand its kubeconfig to the tests (inject("kubeconfig") or $KUBECONFIG).
//
// Who stops the cluster: the test run that started it, at its end. MEMEOPS_KEEP_CLUSTER=1 leaves
// it running as if started by hand. A cluster started by hand (`make cluster-up`) or owned by
// another test run still in progress is reused and left alone; one whose owning run died before
// its teardown (killed, timed out) is adopted and stopped, so it does not outlive every later run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const state = join(here, "..", "..", ".memeops", "cluster");
export const kubeconfigPath = join(state, "kubeconfig");
const ownerFile = join(state, "owner"); // pid of the test run that will stop the cluster

function script(name: string, ...args: string[]): number {
  // stdio inherited: a cold build takes many minutes and its progress should be visible.
  const r = spawnSync("bash", [join(here, name), ...args], { stdio: "inherit" });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let owned: boolean;
  if (script("status.sh", "--quiet") === 0) {
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, "utf8")) : 0;
    owned = owner > 0 && !alive(owner);
    console.log(`[cluster] reusing the running cluster${owned ? " (its test run died; this run will stop it)" : ""}`);
  } else {
    if (script("build.sh") !== 0) throw new Error("test/cluster/build.sh failed (see the output above)");
    if (script("up.sh") !== 0) throw new Error("test/cluster/up.sh failed (logs in .memeops/cluster/logs/)");
    owned = true;
  }
  if (owned) writeFileSync(ownerFile, String(process.pid));
  // Set for the workers too, so no test can talk to whatever cluster the shell pointed at.
  process.env.KUBECONFIG = kubeconfigPath;
  project.provide("kubeconfig", kubeconfigPath);

  return async () => {
    if (!owned) return;
    // Kept: from now on it is a hand-started cluster that later runs reuse and leave running.
    if (process.env.MEMEOPS_KEEP_CLUSTER === "1") rmSync(ownerFile, { force: true });
    else script("down.sh");
  };
}
