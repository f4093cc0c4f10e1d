// End to end: `kubectl apply -f conf/sweeps/quickstart-sweep.yaml` on the test cluster, the operator in this process,
// and every trial's real `memeops trainer` run by the pod runner as a local process. The sweep converges to its best
// trial with pruned trials explained; printed: its wall time, the summed trial times (an estimate of running them
// one after the other, unpruned ones as they ran) and what was pruned.
import { describe, expect, test } from "vitest";
import { kubeconfig, kubectlJson, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import type { Obj } from "../operator/operator-harness.ts";
import { kubectlAsync } from "./kubectl-async.ts";
import { e2eEnvironment } from "./e2e-environment.ts";

const env = e2eEnvironment("memeops-e2e-sweep");
/** 6 trials, 2 at a time, up to 12 epochs each on shared cores: generous. */
const SWEEP_TIMEOUT_MS = 40 * 60_000;

describe("end to end: a sweep of real trainers", () => {
  test("kubectl apply -f conf/sweeps/quickstart-sweep.yaml converges to its best trial; kubectl get memesweep shows it", { timeout: SWEEP_TIMEOUT_MS + 60_000 }, async () => {
    const begin = Date.now();
    await kubectlAsync(kubeconfig(), ["apply", "-f", "conf/sweeps/quickstart-sweep.yaml", "-n", env.ns]);
    // Final, and converged: the trials its end stopped are recorded as stopped (a reconcile after the end).
    const done: Obj = await waitFor("the sweep final", () => {
      const s = kubectlJson(["get", "memesweep", "quickstart-sweep", "-n", env.ns]);
      return s.status?.completionTime && s.status.running === 0 ? s : undefined;
    }, { timeoutMs: SWEEP_TIMEOUT_MS, intervalMs: 2000 });
    const wall = (Date.now() - begin) / 1000;
    expect(env.runner.errors).toEqual([]);
    const trials = kubectlJson(["get", "memex", "-n", env.ns, "-l", "memeops.io/sweep=quickstart-sweep"]).items as Obj[];
    const seconds = (e: Obj) => (Date.parse(e.status.completionTime) - Date.parse(e.status.startTime ?? e.metadata.creationTimestamp)) / 1000;
    const summed = trials.filter((e) => e.status?.completionTime).reduce((a, e) => a + seconds(e), 0);
    console.log(`[sweep-e2e] ${done.status.phase} (${done.status.conditions.find((c: Obj) => c.type === done.status.phase)?.reason}) in ${wall.toFixed(0)} s wall; trials summed ${summed.toFixed(0)} s; counts ${JSON.stringify(done.status.counts)}; best ${JSON.stringify(done.status.bestTrial)}`);
    for (const t of done.status.trials) console.log(`[sweep-e2e] ${t.name} ${t.phase} ${t.value ?? "-"} @${t.epoch ?? "-"} ${JSON.stringify(t.parameters)} ${t.reason ?? ""} ${t.message ?? ""}`);

    expect(done.status.phase).toBe("Succeeded");
    const best = done.status.bestTrial;
    const succeeded = done.status.trials.filter((t: Obj) => t.phase === "Succeeded");
    expect(best.value).toBe(Math.max(...succeeded.map((t: Obj) => t.value)));
    expect(best.value).toBeGreaterThan(0.5);
    // the best trial's value is the real trainer's: its experiment recorded it at that epoch
    const bestExp = trials.find((e) => e.metadata.name === best.name);
    expect(bestExp.status.epochs.find((e: Obj) => e.epoch === best.epoch).valAuroc).toBe(best.value);
    // pruned trials say why: below the median at an epoch, or still running when the sweep reached its goal
    for (const t of done.status.trials.filter((x: Obj) => x.phase === "Pruned")) {
      const e = trials.find((x) => x.metadata.name === t.name);
      expect(e.status.phase, t.name).toBe("Pruned");
      expect(e.status.pruned.message, t.name).toMatch(t.reason === "SweepEnded" ? /^the sweep ended \(GoalReached\)/ : /median/);
    }
    expect(kubectlOk(["get", "memesweep", "-n", env.ns, "--no-headers"])).toMatch(new RegExp(`^quickstart-sweep\\s+Succeeded\\s+\\d+\\s+0\\s+${best.name}\\s`));
    // nothing left running
    expect(trials.every((e) => ["Succeeded", "Failed", "Pruned"].includes(e.status?.phase))).toBe(true);
  });
});
