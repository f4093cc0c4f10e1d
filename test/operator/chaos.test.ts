// The operator as a real process, killed with SIGKILL at random points of 20 experiment lifecycles and restarted
// each time. Whatever the moment of death (before a Job is created, between the Job and the status write, while a
// finished pod waits for its final state to be recorded), the restarted operator must finish the work:
//   - never a second Job for an experiment (one Job per experiment, its UID never changes);
//   - no lost status: the results in a succeeded pod's termination message, the failure reason and exit code;
//   - every experiment reaches its final phase, and a final phase never changes afterwards.
// The kill schedule comes from a seed that is printed (MEMEOPS_CHAOS_SEED=N replays one).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNamespace, deleteNamespace, kubeconfig, kubectlOk, waitFor } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { apiClient, deleteExperiments, experiment, type Obj } from "./operator-harness.ts";
import { succeedPod } from "./fake-kubelet.ts";
import { OperatorProcess } from "./operator-process.ts";
import type { KubeClient } from "../../operator/kube/client.ts";
import { paths } from "../../operator/kube/paths.ts";
import { LABEL } from "../../operator/builders/names.ts";
import { POD_FINALIZER } from "../../operator/builders/job.ts";
import { mulberry32 } from "../../trainer-image/src/common/rng.ts";

const EXPERIMENTS = 20;
const MIN_KILLS = 10;
/** kills go on while experiments are unfinished, up to this many */
const MAX_KILLS = 25;
/** from the first apply until every experiment is final; generous: 2 shared cores, ~6 processes starting */
const ALL_FINAL_WITHIN_MS = 420_000;

type Outcome = "succeeded" | "failed" | "oomkilled";
interface Plan {
  name: string;
  outcome: Outcome;
  /** how long the pod runs before it ends */
  afterMs: number;
  /** failed ones: attempts = backoffLimit + 1 */
  backoffLimit: number;
  /** succeeded ones: the result the "trainer" leaves in its termination message */
  auroc?: number;
}

const seed = Number(process.env.MEMEOPS_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(seed);
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

let ns = "";
let client: KubeClient;
const logPrefix = join(tmpdir(), `memeops-chaos-${process.pid}`);
const runs: OperatorProcess[] = [];
let current: OperatorProcess | undefined;

beforeAll(async () => {
  installCrd();
  ns = createNamespace("memeops-chaos");
  client = await apiClient();
  console.log(`[chaos] seed ${seed} (replay: MEMEOPS_CHAOS_SEED=${seed}); namespace ${ns}; operator logs ${logPrefix}-run*.log`);
});
afterAll(async () => {
  if (ns) await deleteExperiments(ns);
  current?.kill("SIGKILL");
  await current?.exited;
  if (ns) deleteNamespace(ns);
});

const startOperator = async () => {
  current = await OperatorProcess.start({ kubeconfig: kubeconfig(), namespaces: [ns], logFile: `${logPrefix}-run${runs.length}.log` });
  runs.push(current);
  return current;
};

const plans: Plan[] = Array.from({ length: EXPERIMENTS }, (_, i) => {
  const outcome: Outcome = i % 3 === 0 ? "succeeded" : i % 3 === 1 ? "failed" : "oomkilled";
  return {
    name: `chaos-${i}`,
    outcome,
    afterMs: between(500, 6_000),
    backoffLimit: outcome === "failed" ? between(0, 1) : 0,
    ...(outcome === "succeeded" && { auroc: Math.round((0.55 + random() * 0.4) * 1e4) / 1e4 }),
  };
});

function manifest(p: Plan): string {
  // Failed and OOMKilled pods are ended by kwok (the outcome label); succeeded ones by this test, playing the
  // kubelet of a trainer that wrote its result to /dev/termination-log.
  return experiment(ns, p.name, {
    ...(p.outcome !== "succeeded" && { outcome: p.outcome, after: `${p.afterMs}ms` }),
    spec: { runtime: { backoffLimit: p.backoffLimit } },
  });
}

const resultOf = (p: Plan) => ({
  kind: "result",
  test: { auroc: p.auroc, accuracy: 0.6, precision: 0.5, recall: 0.5, f1: 0.5, threshold: 0.5, samples: 40, confusionMatrix: { tp: 10, tn: 14, fp: 8, fn: 8 } },
  checkpointUri: `pvc://chaos/${p.name}/best`,
  bestEpoch: 2,
});

/** Everything the test watches, sampled each tick: Job UIDs, phases (a final one must never change), pods to end. */
class Observer {
  readonly jobUids = new Map<string, Set<string>>();
  readonly finalPhase = new Map<string, string>();
  readonly phaseChangesAfterFinal: string[] = [];
  readonly finishedAt = new Map<string, number>();
  private readonly finishedPods = new Set<string>();
  pods: Obj[] = [];

  async tick(): Promise<void> {
    const [jobs, pods, exps] = await Promise.all([
      client.request<Obj>("GET", paths.jobs(ns)),
      client.request<Obj>("GET", paths.pods(ns)),
      client.request<Obj>("GET", paths.experiments(ns)),
    ]);
    for (const j of jobs.items) {
      const owner = j.metadata.labels?.[LABEL.experiment] ?? "?";
      this.jobUids.set(owner, (this.jobUids.get(owner) ?? new Set()).add(j.metadata.uid));
    }
    for (const e of exps.items) {
      const name = e.metadata.name;
      const phase = e.status?.phase;
      const final = this.finalPhase.get(name);
      if (final && final !== phase) this.phaseChangesAfterFinal.push(`${name}: ${final} -> ${phase}`);
      if (!final && (phase === "Succeeded" || phase === "Failed") && e.status.completionTime) {
        this.finalPhase.set(name, phase);
        this.finishedAt.set(name, Date.now());
      }
    }
    this.pods = pods.items;
    for (const pod of pods.items) {
      const p = plans.find((x) => x.name === pod.metadata.labels?.[LABEL.experiment]);
      if (!p || p.outcome !== "succeeded" || pod.status?.phase !== "Running" || pod.metadata.deletionTimestamp) continue;
      if (this.finishedPods.has(pod.metadata.uid)) continue;
      if (Date.now() - Date.parse(pod.status.startTime ?? pod.metadata.creationTimestamp) < p.afterMs) continue;
      await succeedPod(client, pod, JSON.stringify(resultOf(p)));
      this.finishedPods.add(pod.metadata.uid);
    }
  }
}

describe("chaos", () => {
  test(`SIGKILL at random points of ${EXPERIMENTS} lifecycles: no duplicate Job, no lost status, every experiment final`, { timeout: 900_000 }, async () => {
    const observer = new Observer();
    let stop = false;
    let tickError: unknown;
    const ticking = (async () => {
      while (!stop) {
        await observer.tick().catch((e) => (tickError = e));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const begin = Date.now();
    const schedule: string[] = [];
    // Two new experiments per operator run, so every run is killed in the middle of some lifecycles.
    const waves = Array.from({ length: EXPERIMENTS / 2 }, (_, i) => plans.slice(2 * i, 2 * i + 2));
    let kills = 0;
    await startOperator();
    for (;;) {
      const wave = waves.shift();
      if (wave) kubectlOk(["apply", "-f", "-"], { input: wave.map(manifest).join("\n---\n") });
      if (kills >= MIN_KILLS && (observer.finalPhase.size === EXPERIMENTS || kills >= MAX_KILLS)) break;
      // Random uptime after "operator started", then SIGKILL and restart at once or after a short pause.
      const uptime = between(200, 4_000);
      const pause = between(0, 1_500);
      await new Promise((r) => setTimeout(r, uptime));
      current?.kill("SIGKILL");
      await current?.exited;
      kills++;
      schedule.push(`kill ${kills} after ${uptime} ms up (final so far ${observer.finalPhase.size}), restart after ${pause} ms`);
      await new Promise((r) => setTimeout(r, pause));
      await startOperator();
      if (Date.now() - begin > ALL_FINAL_WITHIN_MS) break;
    }
    console.log(`[chaos] ${schedule.join("\n[chaos] ")}`);
    // The last operator keeps running: every experiment must now reach its final phase.
    const unfinished = () => plans.filter((p) => !observer.finalPhase.has(p.name)).map((p) => p.name);
    await waitFor(`all ${EXPERIMENTS} experiments final`, () => unfinished().length === 0, {
      timeoutMs: Math.max(30_000, ALL_FINAL_WITHIN_MS - (Date.now() - begin)),
      intervalMs: 500,
    }).catch((e) => {
      throw new Error(`${String(e)}; unfinished: ${unfinished().join(", ")} (seed ${seed})`);
    });
    const lastFinal = Math.max(...observer.finishedAt.values()) - begin;
    // Pods of finished experiments are released (the pod finalizer removed) once their state is recorded.
    const held = () => observer.pods.filter((p: Obj) => (p.metadata.finalizers ?? []).includes(POD_FINALIZER)).map((p: Obj) => p.metadata.name);
    await waitFor("pod finalizers released", () => held().length === 0, { timeoutMs: 60_000 }).catch((e) => {
      throw new Error(`${String(e)}; still held: ${held().join(", ")}`);
    });
    // A little longer under a live operator, to catch a final phase being rewritten.
    await new Promise((r) => setTimeout(r, 3_000));
    stop = true;
    await ticking;
    expect(tickError).toBeUndefined();
    const lines = runs.flatMap((r) => r.lines);
    const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
    console.log(
      `[chaos] ${kills} kills, ${runs.length} operator runs; the last experiment final ${Math.round(lastFinal / 1000)} s after the first apply; ` +
        `logged: ${count("reconcile failed")} failed reconciles (retried), ${count("adopting job")} adoptions`,
    );
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);

    // No duplicate Job: exactly one Job per experiment over the whole run, never replaced by another.
    for (const p of plans) expect([...(observer.jobUids.get(p.name) ?? [])], p.name).toHaveLength(1);
    expect([...observer.jobUids.keys()].sort()).toEqual(plans.map((p) => p.name).sort());
    // No "already exists" noise, and no crash output, in any run's log.
    expect(lines.filter((l) => /already exists/i.test(JSON.stringify(l)))).toEqual([]);
    expect(runs.flatMap((r) => r.otherOutput)).toEqual([]);

    // No lost status: each outcome with its results or its reason and exit code.
    expect(observer.phaseChangesAfterFinal).toEqual([]);
    const exps = (await client.request<Obj>("GET", paths.experiments(ns))).items as Obj[];
    for (const p of plans) {
      const e = exps.find((x) => x.metadata.name === p.name);
      const s = e.status;
      const cond = (t: string) => s.conditions.find((c: Obj) => c.type === t);
      expect(s.completionTime, p.name).toBeTruthy();
      expect(s.jobs, p.name).toEqual([{ stage: "run", name: `${p.name}-run` }]);
      if (p.outcome === "succeeded") {
        expect(s.phase, p.name).toBe("Succeeded");
        expect(s.test, p.name).toMatchObject({ auroc: p.auroc, confusionMatrix: { tp: 10, tn: 14, fp: 8, fn: 8 } });
        expect(s.checkpointUri, p.name).toBe(`pvc://chaos/${p.name}/best`);
        expect(cond("Succeeded").status).toBe("True");
      } else {
        expect(s.phase, p.name).toBe("Failed");
        expect(cond("Failed").status).toBe("True");
        if (p.outcome === "oomkilled") expect(s.failure, p.name).toMatchObject({ reason: "OOMKilled", exitCode: 137, stage: "run" });
        else {
          expect(s.failure, p.name).toMatchObject({ reason: "BackoffLimitExceeded", exitCode: 1, stage: "run" });
          expect(s.failure.message, p.name).toContain(`${p.backoffLimit + 1} attempt(s)`);
        }
      }
    }
  });
});
