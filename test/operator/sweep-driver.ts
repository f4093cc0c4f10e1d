// Plays the trainers of a sweep's trials for the sweep tests: once a trial's pod runs, it reports per-epoch metrics
// through the operator's report endpoint (a pod-bound token, as a trainer has) and ends the pod (succeeded as the
// kubelet would write it, failed or OOMKilled through kwok's outcome label), as the test's behaviour says.
import { expect } from "vitest";
import { succeedPod } from "./fake-kubelet.ts";
import { podTokenFile, type Obj } from "./operator-harness.ts";
import { Reporter } from "../../trainer-image/src/stages/reporter.ts";
import { ApiError, type KubeClient } from "../../operator/kube/client.ts";
import { mergePatch } from "../../operator/kube/patch.ts";
import { paths } from "../../operator/kube/paths.ts";

/** What the trainer of a trial does once its pod runs: report these epochs' val_auroc, then end so (hold: keep running). */
export interface Act {
  epochs: number[];
  end: "succeeded" | "failed" | "oomkilled" | "hold";
}
/** The act of a trial (by its status entry), or undefined to ask again later. */
export type Behaviour = (trial: { index: number; parameters: Record<string, number | string | boolean> }, sweep: Obj) => Act | undefined;

/** A MemeSweep over the learning rate of a tiny CPU experiment, random search; `spec` overrides; `annotations` go on every trial. */
export function sweepManifest(ns: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeSweep",
    metadata: { name, namespace: ns },
    spec: {
      trialTemplate: {
        ...(annotations && { metadata: { annotations } }),
        spec: {
          dataset: { source: { synthetic: {} } },
          features: { extractor: "pixels", regions: 16 },
          model: { name: "vilbert_hf", size: "tiny" },
          training: { epochs: 3 },
          resources: { gpus: 0, cpu: "100m", memory: "64Mi" },
        },
      },
      parameters: [{ path: "training.learningRate", uniform: { min: 0.001, max: 0.1 } }],
      objective: { metric: "val_auroc" },
      algorithm: { random: { seed: 3 } },
      ...spec,
    },
  });
}

export const final = (phase: string) => (s: Obj) => s.status?.phase === phase && !!s.status?.completionTime;
const LIVE = ["Pending", "Queued", "Preparing", "Training", "Evaluating", undefined];

export interface DriveResult {
  sweep: Obj;
  /** the most trials alive (not ended, not being stopped) at once */
  maxLive: number;
  /** every uid each trial name had, and each trial's Job: more than one is a duplicate */
  trialUids: Map<string, Set<string>>;
  jobUids: Map<string, Set<string>>;
  /** each trial's MemeExperiment phases, in the order seen (a repeat only after another phase) */
  phases: Map<string, string[]>;
  /** the sweep's phases, in the order seen */
  sweepPhases: string[];
  /** the trial of each trainer pod, in the order the pods were first seen running (a re-run pod adds its trial again) */
  started: string[];
  /** the most trials' pods running at once */
  maxRunningPods: number;
}

/** A GET, again while the API server answers 429: a CRD's storage just created refuses lists until its watch cache is ready. */
async function read(client: KubeClient, path: string, query?: Record<string, string>): Promise<Obj> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return await client.request<Obj>("GET", path, query && { query });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 429) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Until `done(sweep)`: each running pod acts once, as `behaviour` says. `reportUrl` is read at each report (an operator may restart). */
export async function driveSweep(client: KubeClient, ns: string, name: string, behaviour: Behaviour, done: (s: Obj) => boolean, reportUrl: () => string, timeoutMs = 150_000): Promise<DriveResult> {
  const acted = new Set<string>();
  const seenPods = new Set<string>();
  const out: DriveResult = { sweep: undefined, maxLive: 0, trialUids: new Map(), jobUids: new Map(), phases: new Map(), sweepPhases: [], started: [], maxRunningPods: 0 };
  const note = (m: Map<string, Set<string>>, k: string, uid: string) => m.set(k, (m.get(k) ?? new Set()).add(uid));
  const append = (list: string[], x: string | undefined) => x !== undefined && list.at(-1) !== x && list.push(x);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await read(client, paths.sweep(ns, name));
    append(out.sweepPhases, s.status?.phase);
    if (done(s)) return { ...out, sweep: s };
    if (Date.now() > deadline) throw new Error(`sweep ${name} not done within ${timeoutMs} ms: ${s.status?.phase} ${JSON.stringify(s.status?.counts)}`);
    const selector = { labelSelector: `memeops.io/sweep=${name}` };
    const exps: Obj[] = (await read(client, paths.experiments(ns), selector)).items;
    for (const e of exps) {
      note(out.trialUids, e.metadata.name, e.metadata.uid);
      if (!out.phases.has(e.metadata.name)) out.phases.set(e.metadata.name, []);
      append(out.phases.get(e.metadata.name)!, e.status?.phase);
    }
    out.maxLive = Math.max(out.maxLive, exps.filter((e) => LIVE.includes(e.status?.phase) && !e.metadata.annotations?.["memeops.io/prune"]).length);
    for (const j of (await read(client, paths.jobs(ns))).items as Obj[]) note(out.jobUids, j.metadata.labels?.["memeops.io/experiment"] ?? "?", j.metadata.uid);
    const pods: Obj[] = (await read(client, paths.pods(ns), { labelSelector: "app.kubernetes.io/managed-by=memeops-operator" })).items;
    const trialOf = (pod: Obj) => exps.find((e) => e.metadata.name === pod.metadata.labels?.["memeops.io/experiment"]);
    const runningTrialPods = pods.filter((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp && trialOf(p));
    out.maxRunningPods = Math.max(out.maxRunningPods, runningTrialPods.length);
    for (const pod of runningTrialPods) if (!seenPods.has(pod.metadata.uid) && seenPods.add(pod.metadata.uid)) out.started.push(trialOf(pod).metadata.name);
    for (const pod of pods) {
      if (pod.status?.phase !== "Running" || pod.metadata.deletionTimestamp || acted.has(pod.metadata.uid)) continue;
      const exp = trialOf(pod);
      const entry = exp && (s.status?.trials ?? []).find((t: Obj) => t.index === Number(exp.metadata.labels["memeops.io/trial-index"]));
      const act = entry && behaviour(entry, s);
      if (!act) continue;
      acted.add(pod.metadata.uid);
      const tokenFile = podTokenFile(pod);
      for (const [i, auroc] of act.epochs.entries()) {
        const epoch = i + 1;
        const m = { epoch, trainLoss: 0.5, valLoss: 0.6, valAuroc: auroc, valAccuracy: 0.7, valF1: 0.6 };
        // An operator that is restarting answers nothing: try again until one does.
        const until = Date.now() + 30_000;
        while (!(await new Reporter({ url: reportUrl(), tokenFile }).progress({ stage: "train", epoch, totalEpochs: 3, epochMetrics: m }).catch(() => false))) {
          expect(Date.now(), `report of ${pod.metadata.name} epoch ${epoch}`).toBeLessThan(until);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      if (act.end === "succeeded") await succeedPod(client, pod, JSON.stringify({ kind: "result", bestEpoch: act.epochs.length }));
      else if (act.end !== "hold") await mergePatch(client, paths.pod(ns, pod.metadata.name), { metadata: { labels: { "memeops.io/test-outcome": act.end } } });
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
