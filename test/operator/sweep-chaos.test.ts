// A MemeSweep under an operator process killed with SIGKILL at random points and restarted each time: the trials must
// be exactly the ones the search draws for the sweep's seed (names and parameters, as recorded in its status before
// each trial was created), each created once (one object and one Job per trial over the whole run), and the sweep
// must finish with the right best trial. The kill schedule comes from a printed seed (MEMEOPS_CHAOS_SEED=N replays).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNamespace, deleteNamespace, kubeconfig, kubectlOk } from "../cluster/kubectl.ts";
import { installCrd } from "./crd.ts";
import { apiClient, deleteExperiments, type Obj } from "./operator-harness.ts";
import { OperatorProcess } from "./operator-process.ts";
import { driveSweep, final, sweepManifest, type Behaviour } from "./sweep-driver.ts";
import { createAlgorithm } from "../../search/index.ts";
import { mulberry32 } from "../../trainer-image/src/common/rng.ts";

const TRIALS = 9;
const MIN_KILLS = 6;
const seed = Number(process.env.MEMEOPS_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(seed);
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

let ns = "";
let current: OperatorProcess | undefined;
const logPrefix = join(tmpdir(), `memeops-sweep-chaos-${process.pid}`);
let runs = 0;
const startOperator = async () => (current = await OperatorProcess.start({ kubeconfig: kubeconfig(), namespaces: [ns], logFile: `${logPrefix}-run${runs++}.log` }));

beforeAll(() => {
  installCrd();
  ns = createNamespace("memeops-sweep-chaos");
  console.log(`[sweep-chaos] seed ${seed} (replay: MEMEOPS_CHAOS_SEED=${seed}); namespace ${ns}; operator logs ${logPrefix}-run*.log`);
});
afterAll(async () => {
  if (ns && current) await deleteExperiments(ns);
  current?.kill("SIGKILL");
  await current?.exited;
  if (ns) deleteNamespace(ns);
});

const score = (lr: number) => Math.round((0.95 - Math.abs(lr - 0.05) * 4) * 1e4) / 1e4;

describe("sweep chaos", () => {
  test(`SIGKILL at random points of a ${TRIALS}-trial sweep: the same trials, none twice, the right best`, { timeout: 600_000 }, async () => {
    const client = await apiClient();
    await startOperator();
    kubectlOk(["apply", "-f", "-"], { input: sweepManifest(ns, "chaos", { budget: { maxTrials: TRIALS, parallelism: 3 } }) });
    const lr = (t: { parameters: Obj }) => t.parameters["training.learningRate"] as number;
    const behaviour: Behaviour = (t) => ({ epochs: [score(lr(t)) - 0.1, score(lr(t))], end: "succeeded" });
    let finished = false;
    const driving = driveSweep(client, ns, "chaos", behaviour, final("Succeeded"), () => `http://127.0.0.1:${current?.ports.report}`, 420_000).finally(() => (finished = true));
    const schedule: string[] = [];
    let kills = 0;
    while (!finished || kills < MIN_KILLS) {
      const uptime = between(300, 3_000);
      await new Promise((r) => setTimeout(r, uptime));
      current?.kill("SIGKILL");
      await current?.exited;
      kills++;
      schedule.push(`kill ${kills} after ${uptime} ms up`);
      await startOperator();
      if (finished && kills >= MIN_KILLS) break;
    }
    const { sweep, trialUids, jobUids } = await driving;
    console.log(`[sweep-chaos] ${kills} kills: ${schedule.join("; ")}`);

    // The trials the seed draws, in order, and nothing else.
    const space = [{ path: "training.learningRate", domain: { kind: "uniform" as const, min: 0.001, max: 0.1 } }];
    const algorithm = createAlgorithm({ name: "random", seed: 3 }, space, "maximize");
    const expected = Array.from({ length: TRIALS }, (_, i) => ({ name: `chaos-t${String(i + 1).padStart(4, "0")}`, parameters: algorithm.suggest(i, []) }));
    expect(sweep.status.trials.map((t: Obj) => ({ name: t.name, parameters: t.parameters }))).toEqual(expected);
    const exps: Obj[] = (await client.request<Obj>("GET", `/apis/memeops.io/v1alpha1/namespaces/${ns}/memeexperiments`)).items;
    for (const e of expected) {
      const exp = exps.find((x) => x.metadata.name === e.name);
      expect(exp?.spec.training.learningRate, e.name).toBe(e.parameters!["training.learningRate"]);
      expect([...(trialUids.get(e.name) ?? [])], `${e.name} created once`).toHaveLength(1);
      expect([...(jobUids.get(e.name) ?? [])], `${e.name} has one Job`).toHaveLength(1);
    }
    expect(exps.filter((x) => x.metadata.labels?.["memeops.io/sweep"] === "chaos")).toHaveLength(TRIALS);
    const best = expected.reduce((a, b) => (score(lr(b as Obj)) > score(lr(a as Obj)) ? b : a));
    expect(sweep.status.bestTrial).toMatchObject({ name: best.name, value: score(lr(best as Obj)) });
    expect(sweep.status.counts.succeeded).toBe(TRIALS);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  });
});
