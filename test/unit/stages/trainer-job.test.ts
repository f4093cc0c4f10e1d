// `memeops trainer` as a Job runs it: the command and environment come from the operator's own buildJob (paths
// that point into the pod are pointed at temp files), the trainer runs as a child process, and a local HTTP server
// stands in for the operator's report endpoint, recording what is POSTed. Everything it receives must parse with
// the operator's schema (api/contract/reports.ts). The real operator path is the e2e test's.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mustParseMemeExperiment } from "../../../api/v1alpha1/parse.ts";
import type { MemeExperimentStatus } from "../../../api/v1alpha1/status.ts";
import { buildJob, type Resolved } from "../../../operator/builders/job.ts";
import { jobUnitsFor } from "../../../operator/builders/job-units.ts";
import { applyReport, parseTerminationMessage, report, type Report } from "../../../api/contract/reports.ts";
import { FileStoreBackend } from "../../../tracking/index.ts";
import { jobWorkDir } from "../../../trainer-image/src/stages/run-in-job.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-trainer-"));
const TOKEN = "projected-token-for-test";
writeFileSync(join(tmp, "token"), `${TOKEN}\n`);

// ---- the operator's report endpoint, recording
interface Received {
  auth: string | undefined;
  body: Report;
}
let received: Received[] = [];
let server: Server;
let reportUrl = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const parsed = report.safeParse(JSON.parse(text));
      if (!parsed.success) {
        res.writeHead(400).end(parsed.error.message);
        received.push({ auth: req.headers.authorization, body: { kind: "invalid", text } as unknown as Report });
        return;
      }
      received.push({ auth: req.headers.authorization, body: parsed.data });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  reportUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

// ---- experiments and Jobs, as the operator builds them
const UID = "0d5c5d1e-7f6a-4c1e-9a55-000000000001";
function experiment(name: string, dataDir: string, o: { volumeClaim?: string; checks?: Record<string, unknown>; learningRate?: number } = {}) {
  return mustParseMemeExperiment({
    apiVersion: "memeops.io/v1alpha1", kind: "MemeExperiment",
    metadata: { name, namespace: "team-a", uid: UID },
    spec: {
      mode: "train",
      dataset: { source: { synthetic: { count: 64, seed: 3, imageSize: 32 } }, storage: { path: dataDir, ...(o.volumeClaim && { volumeClaim: o.volumeClaim }) } },
      features: { extractor: "pixels", regions: 4 },
      model: { name: "vilbert_hf", size: "tiny" },
      training: { epochs: 2, batchSize: 32, learningRate: o.learningRate ?? 0.001, warmupSteps: 2, maxSequenceLength: 16 },
      checks: { enforce: false, ...o.checks },
      resources: { gpus: 0 },
    },
  });
}

/** The Jobs' commands and environments, with the pod's paths (termination log, token) moved to temp files. */
function jobsOf(exp: ReturnType<typeof experiment>, resolved: Resolved = {}) {
  return jobUnitsFor(exp.spec).map((unit) => {
    const job = buildJob({ name: exp.metadata.name, namespace: exp.metadata.namespace!, uid: exp.metadata.uid! }, exp.spec, unit, resolved, { trainerImage: "memeops/trainer:test", reportUrl });
    const container = (job.spec.template as any).spec.containers[0] as { command: string[]; env: { name: string; value: string }[] };
    const env: Record<string, string> = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    const termination = join(tmp, `${job.metadata.name}.termination-log`);
    env.MEMEOPS_TERMINATION_MESSAGE_PATH = termination;
    env.MEMEOPS_REPORT_TOKEN_FILE = join(tmp, "token");
    env.HOME = tmp;
    return { name: job.metadata.name, command: container.command, env, termination };
  });
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `memeops trainer ...` as a child process, with nothing of this process's MEMEOPS_/MLFLOW_ environment. */
function run(command: string[], env: Record<string, string>): Promise<Exit> {
  expect(command.slice(0, 2)).toEqual(["memeops", "trainer"]);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MEMEOPS_|MLFLOW_)/.test(k)));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["cli/bin/memeops.mjs", ...command.slice(1)], { env: { ...base, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, any>;
const progressOf = (rs: Received[]) => rs.map((r) => r.body).filter((b): b is Extract<Report, { kind: "progress" }> => b.kind === "progress");

/** The status fields of results.json, with the checkpoint path relative to the work dir. */
function statusFields(workDir: string) {
  const r = readJson(join(workDir, "results.json"));
  return {
    epochs: r.epochs, bestEpoch: r.bestEpoch, bestValAuroc: r.bestValAuroc, test: r.test, checks: r.checks,
    checkpoint: relative(workDir, r.checkpointUri), epochsRun: r.run.epochsRun, stoppedEarly: r.run.stoppedEarly,
    plots: r.run.plots.map((p: { svg: string; png: string }) => [relative(workDir, p.svg), relative(workDir, p.png)]),
  };
}

const mlruns = join(tmp, "mlruns");
const oneData = join(tmp, "one");
const splitData = join(tmp, "split");

describe("memeops trainer: all stages in one Job (no volume claim)", () => {
  let exit: Exit;
  let got: Received[];
  let job: ReturnType<typeof jobsOf>[number];
  beforeAll(async () => {
    const jobs = jobsOf(experiment("tiny", oneData));
    expect(jobs.map((j) => j.command)).toEqual([["memeops", "trainer", "prepare", "train", "evaluate"]]);
    job = jobs[0]!;
    received = [];
    // no MLFLOW_RUN_ID: MLflow was down when the Job was built, the trainer's run is its own
    exit = await run(job.command, { ...job.env, MLFLOW_TRACKING_URI: pathToFileURL(mlruns).href, MLFLOW_EXPERIMENT_NAME: "team-a" });
    got = received;
  }, 180_000);

  it("exits 0 and logs JSON lines only", () => {
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    const lines = jsonLines(exit.stdout);
    for (const l of lines) expect(l).toMatchObject({ level: "info", experiment: "tiny", time: expect.any(String) });
    expect(lines.filter((l) => l.event === "epoch").map((l) => l.metrics.epoch)).toEqual([1, 2]);
  });

  it("reports progress at each stage and each epoch (with its metrics and the total), all accepted, with the token", () => {
    expect(got.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(got.map((r) => r.body.kind)).not.toContain("invalid");
    const progress = progressOf(got);
    expect([...new Set(progress.map((p) => p.stage))]).toEqual(["prepare", "train", "evaluate"]);
    const ends = progress.filter((p) => p.epochMetrics);
    expect(ends.map((p) => [p.epoch, p.totalEpochs, p.epochMetrics!.epoch])).toEqual([[1, 2, 1], [2, 2, 2]]);
    expect(progress.filter((p) => p.stage === "train" && p.epoch === 0)).toEqual([expect.objectContaining({ totalEpochs: 2, message: "training started" })]);
    expect(got.at(-1)!.body.kind).toBe("result");
  });

  it("the result: POSTed and in the termination message, equal, and what results.json says", () => {
    const posted = got.filter((r) => r.body.kind === "result").map((r) => r.body);
    expect(posted).toHaveLength(1);
    const fromFile = parseTerminationMessage(readFileSync(job.termination, "utf8"));
    expect(fromFile).toEqual(posted[0]);
    const work = jobWorkDir(oneData, { name: "tiny", uid: UID });
    const results = readJson(join(work, "results.json"));
    expect(fromFile).toMatchObject({ bestEpoch: results.bestEpoch, bestValAuroc: results.bestValAuroc, checkpointUri: results.checkpointUri, test: results.test, checks: results.checks });
    expect(existsSync(join(results.checkpointUri, "checkpoint.json"))).toBe(true);

    // folded into a status the way the operator does it
    let status: MemeExperimentStatus = {};
    for (const r of got) status = { ...status, ...applyReport(status, r.body, "2026-01-01T00:00:00Z") };
    expect(status.epochs!.map((e) => e.epoch)).toEqual([1, 2]);
    expect(status).toMatchObject({ bestEpoch: results.bestEpoch, test: { samples: results.test.samples }, progress: { stage: "evaluate" } });
  });

  it("writes the pictures into the work dir and lists them in results.json", () => {
    const work = jobWorkDir(oneData, { name: "tiny", uid: UID });
    const plots = readJson(join(work, "results.json")).run.plots;
    expect(plots.map((p: { name: string }) => p.name)).toEqual(["training-curves", "roc"]);
    for (const p of plots) for (const f of [p.svg, p.png]) expect(existsSync(f), f).toBe(true);
  });

  it("logs to MLflow what `memeops run` logs, and closes its own run FINISHED", () => {
    const [expId] = readdirSync(mlruns).filter((d) => /^\d+$/.test(d) && d !== "0");
    const runs = readdirSync(join(mlruns, expId!)).filter((d) => existsSync(join(mlruns, expId!, d, "meta.yaml")));
    expect(runs).toHaveLength(1);
    const runDir = join(mlruns, expId!, runs[0]!);
    expect(readFileSync(join(runDir, "meta.yaml"), "utf8")).toMatch(/status: 3\b/); // FINISHED
    expect(readFileSync(join(runDir, "tags", "memeops.io/owner-uid"), "utf8")).toBe(UID);
    const steps = readFileSync(join(runDir, "metrics", "val_auroc"), "utf8").trim().split("\n").map((l) => Number(l.split(" ")[2]));
    expect(steps).toEqual([1, 2]);
    for (const m of ["train_loss", "val_loss", "val_f1", "test_auroc", "tp", "validation_better_than_random", "best_epoch"]) expect(existsSync(join(runDir, "metrics", m)), m).toBe(true);
    for (const p of ["model_total_params", "backend", "dataset_hash", "learningRate"]) expect(existsSync(join(runDir, "params", p)), p).toBe(true);
    for (const a of ["results.json", "predictions.csv", "experiment.yaml", "checkpoint/checkpoint.json", "plots/roc.svg", "plots/roc.png", "plots/training-curves.svg", "plots/training-curves.png"]) {
      expect(existsSync(join(runDir, "artifacts", a)), a).toBe(true);
    }
  });
});

describe("memeops trainer: one Job per stage (volume claim), same data dir", () => {
  const exits: Exit[] = [];
  let runId = "";
  let jobs: ReturnType<typeof jobsOf>;
  beforeAll(async () => {
    // the operator created the run before the Jobs: the trainer logs into it and leaves its status to the operator
    const store = new FileStoreBackend(join(tmp, "mlruns-split"));
    runId = (await store.openRun({ experimentName: "team-a", runName: "tiny", ownerUid: UID })).runId;
    jobs = jobsOf(experiment("tiny", splitData, { volumeClaim: "memes" }), { tracking: { uri: store.location, runId, experimentName: "team-a" } });
    for (const job of jobs) exits.push(await run(job.command, job.env));
  }, 300_000);

  it("runs prepare, train and evaluate as three Jobs, each exiting 0", () => {
    expect(jobs.map((j) => j.command.slice(2))).toEqual([["prepare"], ["train"], ["evaluate"]]);
    expect(exits.map((e) => [e.code, e.stderr])).toEqual([[0, ""], [0, ""], [0, ""]]);
  });

  it("gives the same results, predictions and pictures as one Job running them all", () => {
    const one = jobWorkDir(oneData, { name: "tiny", uid: UID });
    const split = jobWorkDir(splitData, { name: "tiny", uid: UID });
    expect(statusFields(split)).toEqual(statusFields(one));
    for (const f of ["predictions.csv", "roc.svg", "training-curves.svg"]) expect(readFileSync(join(split, f), "utf8"), f).toBe(readFileSync(join(one, f), "utf8"));
  });

  it("the train Job's termination message carries the best epoch; the evaluate Job's adds the test results", () => {
    const [prepare, train, evaluate] = jobs.map((j) => (existsSync(j.termination) ? readFileSync(j.termination, "utf8") : undefined));
    expect(prepare).toBeUndefined();
    const t = parseTerminationMessage(train)!;
    expect(t.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(t.test).toBeUndefined();
    const e = parseTerminationMessage(evaluate)!;
    expect(e).toMatchObject({ bestEpoch: t.bestEpoch, bestValAuroc: t.bestValAuroc, checkpointUri: t.checkpointUri });
    expect(e.test!.samples).toBeGreaterThan(0);
  });

  it("logs into the operator's run and leaves it RUNNING for the operator to close", () => {
    const root = join(tmp, "mlruns-split");
    const expId = readdirSync(root).find((d) => existsSync(join(root, d, runId)))!;
    const runDir = join(root, expId, runId);
    expect(readFileSync(join(runDir, "meta.yaml"), "utf8")).toMatch(/status: 1\b/); // RUNNING
    const steps = readFileSync(join(runDir, "metrics", "val_auroc"), "utf8").trim().split("\n").map((l) => Number(l.split(" ")[2]));
    expect(steps).toEqual([1, 2]);
    expect(existsSync(join(runDir, "metrics", "test_auroc"))).toBe(true);
    expect(existsSync(join(runDir, "artifacts", "plots", "roc.png"))).toBe(true);
    expect(jsonLines(exits[2]!.stdout).some((l) => l.msg === `mlflow: run ${runId} logged (its final status is the operator's to set)`)).toBe(true);
  });
});

describe("memeops trainer: SIGTERM (a deleted Job, a preempted node)", () => {
  it("exits 143 after flushing to the operator's run, whose status it leaves alone", async () => {
    const store = new FileStoreBackend(join(tmp, "mlruns-term"));
    const runId = (await store.openRun({ experimentName: "team-a", runName: "long", ownerUid: UID })).runId;
    const exp = experiment("long", join(tmp, "term"), { learningRate: 0.001 });
    exp.spec.training.epochs = 50;
    const [job] = jobsOf(exp, { tracking: { uri: store.location, runId, experimentName: "team-a" } });
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MEMEOPS_|MLFLOW_)/.test(k)));
    const child = spawn(process.execPath, ["cli/bin/memeops.mjs", ...job!.command.slice(1)], { env: { ...base, ...job!.env } });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (c) => {
        stdout += c;
        if (/"event":"epoch"/.test(stdout) && child.signalCode === null && !child.killed) child.kill("SIGTERM");
      });
      child.on("close", (c) => resolve(c));
    });
    expect(code).toBe(143);
    const stopped = "stage train stopped: SIGTERM (the pod was deleted or evicted, or the Job ran past runtime.activeDeadlineSeconds)";
    expect(jsonLines(stderr).map((l) => l.msg)).toEqual(["memeops: SIGTERM; flushing the MLflow run (its owner sets its status)", stopped]);
    expect(readFileSync(job!.termination, "utf8")).toBe(stopped);
    const expId = readdirSync(join(tmp, "mlruns-term")).find((d) => existsSync(join(tmp, "mlruns-term", d, runId)))!;
    const runDir = join(tmp, "mlruns-term", expId, runId);
    expect(readFileSync(join(runDir, "meta.yaml"), "utf8")).toMatch(/status: 1\b/); // RUNNING: the operator's to close
    expect(readFileSync(join(runDir, "metrics", "val_auroc"), "utf8").trim().split("\n").length).toBeGreaterThanOrEqual(1);
  }, 180_000);
});

describe("memeops trainer: exit codes", () => {
  const dataDir = join(tmp, "codes");
  const job = () => jobsOf(experiment("codes", dataDir))[0]!;

  it("2: an unknown stage, stages out of order, no experiment, an invalid spec (the field named)", async () => {
    const j = job();
    const unknown = await run(["memeops", "trainer", "prepare", "trian"], j.env);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("unknown stage 'trian' (one of prepare, train, evaluate, predict)")]);
    const order = await run(["memeops", "trainer", "train", "prepare"], j.env);
    expect([order.code, order.stderr]).toEqual([2, expect.stringContaining("in the order prepare, train, evaluate")]);
    const { MEMEOPS_EXPERIMENT: _e, ...noExperiment } = j.env;
    const none = await run(["memeops", "trainer", "prepare"], noExperiment);
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining("no experiment: set MEMEOPS_EXPERIMENT")]);
    const bad = JSON.parse(j.env.MEMEOPS_EXPERIMENT!);
    bad.spec.training.learningRate = -1;
    const invalid = await run(["memeops", "trainer", "prepare"], { ...j.env, MEMEOPS_EXPERIMENT: JSON.stringify(bad) });
    expect([invalid.code, invalid.stderr]).toEqual([2, expect.stringContaining("MEMEOPS_EXPERIMENT: spec.training.learningRate: Too small")]);
    const predict = await run(["memeops", "trainer", "predict"], j.env);
    expect([predict.code, predict.stderr]).toEqual([2, expect.stringContaining("'predict' is not a stage of this experiment (prepare, train, evaluate)")]);
    expect(existsSync(dataDir)).toBe(false); // nothing ran
  }, 120_000);

  it("1: a stage that fails, its message on stderr and in the termination message", async () => {
    const j = job();
    received = [];
    const r = await run(["memeops", "trainer", "train"], j.env); // nothing prepared in this data dir
    expect(r.code).toBe(1);
    const errors = jsonLines(r.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: "error", stage: "train" });
    expect(errors[0]!.msg).toMatch(/^stage train failed: .*prepared/);
    expect(readFileSync(j.termination, "utf8")).toBe(errors[0]!.msg);
    expect(parseTerminationMessage(readFileSync(j.termination, "utf8"))).toBeUndefined();
    expect(progressOf(received).map((p) => p.stage)).toEqual(["train"]);
  }, 120_000);

  it("1: an enforced check that fails; the result is still the termination message, the check named on stderr", async () => {
    // the train Job of the one-Job run above left its checkpoints: evaluate them with a bar no model reaches
    const strict = experiment("tiny", oneData, { checks: { enforce: true, minAuroc: 0.999999 } });
    const j = jobsOf(strict)[0]!;
    const r = await run(["memeops", "trainer", "evaluate"], { ...j.env, MEMEOPS_TERMINATION_MESSAGE_PATH: join(tmp, "strict.termination-log") });
    expect(r.code).toBe(1);
    const errors = jsonLines(r.stderr);
    expect(errors.map((e) => e.msg)).toEqual([expect.stringMatching(/^check\(s\) failed: .*better_than_random/)]);
    const result = parseTerminationMessage(readFileSync(join(tmp, "strict.termination-log"), "utf8"))!;
    expect(result.checks!.find((c) => c.name === "better_than_random")!.passed).toBe(false);
  }, 120_000);

  it("an experiment file instead of the environment", async () => {
    const file = join(tmp, "exp.yaml");
    mkdirSync(tmp, { recursive: true });
    writeFileSync(file, JSON.stringify({ ...experiment("from-file", join(tmp, "file")), metadata: { name: "from-file" } }));
    const { MEMEOPS_EXPERIMENT: _e, ...env } = job().env;
    const r = await run(["memeops", "trainer", "prepare", "--experiment", file], { ...env, MEMEOPS_DATA_DIR: join(tmp, "file") });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(existsSync(join(tmp, "file", "runs", "from-file", "prepared", "manifest.json"))).toBe(true);
  }, 120_000);
});
