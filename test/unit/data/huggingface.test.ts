// The Hugging Face source end to end through the prepare stage, against a local server in the hub's layout:
// split file names of neuralcatcher/hateful_memes, resolve URLs with the pinned revision, the token, a missing
// image, duplicates in validation, an id shared between splits, and an unreachable hub.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPreparedSplit } from "../../../trainer-image/src/data/prepared.ts";
import { formatPrepareReport, prepare, type PrepareReport } from "../../../trainer-image/src/stages/prepare.ts";
import { closedPort, startFileServer, type FileServer } from "./fixtures/http-server.ts";
import { hatefulMemesFiles, hubPaths } from "./fixtures/layout.ts";
import { specWith } from "./fixtures/spec.ts";

const REPO = "neuralcatcher/hateful_memes";
const REVISION = "9eac98caf6dee2453d0e800acc9fa71304964120";
const TOKEN = "hf_test_TOKEN_never_logged";
const tmp = mkdtempSync(join(tmpdir(), "memeops-hf-"));
let server: FileServer;
let report: PrepareReport;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startFileServer(hubPaths(await hatefulMemesFiles(), REPO, REVISION));
  server.headers["x-repo-commit"] = REVISION;
  server.requireToken = TOKEN;
  const spec = specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint: server.url } });
  report = await prepare(spec, {
    workDir: join(tmp, "work"),
    storageDir: join(tmp, "storage"),
    extractor: null,
    env: { HF_TOKEN: TOKEN },
    log: (l) => logLines.push(l),
    download: { retries: 0 },
  });
});
afterAll(() => server.close());

describe("huggingface source", () => {
  it("asks for the real file names at resolve URLs of the pinned revision, with the token", () => {
    const prefix = `/datasets/${REPO}/resolve/${REVISION}/`;
    const asked = server.requests.map((r) => r.path);
    expect(asked.every((p) => p.startsWith(prefix))).toBe(true);
    const files = asked.map((p) => p.slice(prefix.length)).filter((p) => p.endsWith(".jsonl"));
    // validation.jsonl and test.jsonl are tried first (memeops' own layout), then the release's files
    expect(files).toEqual(["train.jsonl", "validation.jsonl", "dev_seen.jsonl", "dev_unseen.jsonl", "test.jsonl", "test_seen.jsonl", "test_unseen.jsonl"]);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("counts rows, duplicates and drops per split", () => {
    const byRole = Object.fromEntries(report.splits.map((s) => [s.role, s]));
    expect(byRole.train).toMatchObject({ files: ["train.jsonl"], rowsRead: 8, duplicatesRemoved: 1, dropped: 2, items: 5 });
    expect(byRole.validation).toMatchObject({ files: ["dev_seen.jsonl", "dev_unseen.jsonl"], rowsRead: 7, duplicatesRemoved: 2, items: 5 });
    expect(byRole.test).toMatchObject({ files: ["test_seen.jsonl", "test_unseen.jsonl"], items: 4, labelled: 0 });
  });

  it("lists each dropped item with its reason and where it is", () => {
    expect(report.dropped).toEqual([
      { split: "train", id: "10002", where: "train.jsonl:6", reason: "duplicate id with different content (first at train.jsonl:4)" },
      {
        split: "train",
        id: "10003",
        where: "train.jsonl:7",
        reason: `image missing: ${server.url}/datasets/${REPO}/resolve/${REVISION}/img/10003.png`,
      },
    ]);
    expect(report.sharedIds).toEqual([{ splits: ["train", "test"], count: 1, examples: ["10004"] }]);
    expect(report.sourceNotes).toEqual([]); // the revision is a commit already: nothing to resolve
  });

  it("writes cleaned text and zero-padded ids; the prepared split reads back", async () => {
    const split = await openPreparedSplit(report.output, "train");
    expect(split.items.map((i) => i.id)).toEqual(["01235", "42953", "10001", "10002", "10004"]);
    expect(split.items[0]!.text).toBe("when you finally find the remote");
    expect(split.items[1]!.text).toBe("full width text here");
    expect([...(await split.labels.readAll())]).toEqual([0, 1, 0, 1, 0]);
    expect(split.features).toBeUndefined();
    await split.close();
    const test = await openPreparedSplit(report.output, "test");
    expect([...(await test.labels.readAll())]).toEqual([-1, -1, -1, -1]);
    await test.close();
  });

  it("never writes the token in a log line or the report", () => {
    expect(logLines.join("\n")).not.toContain(TOKEN);
    expect(readFileSync(join(report.output, "prepare-report.json"), "utf8")).not.toContain(TOKEN);
    expect(formatPrepareReport(report)).not.toContain(TOKEN);
  });

  it("a second run downloads nothing and reuses the prepared dataset", async () => {
    const before = server.requests.length;
    const again = await prepare(specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint: server.url } }), {
      workDir: join(tmp, "work"),
      storageDir: join(tmp, "storage"),
      extractor: null,
      env: { HF_TOKEN: TOKEN },
    });
    expect(again.reused).toBe(true);
    expect(again.downloads.bytesDownloaded).toBe(0);
    expect(again.downloads.hits).toBe(19); // 5 split files, 14 images (5 train, 5 validation, 4 test)
    // only what the repo does not have is asked for again (404s are not cached)
    expect(server.requests.slice(before).map((r) => r.path.split("/").pop())).toEqual(["validation.jsonl", "test.jsonl", "10003.png"]);
  });

  it("a branch name is reported with the commit it resolved to", async () => {
    const branch = await startFileServer(hubPaths(await hatefulMemesFiles(), REPO, "main"));
    branch.headers["x-repo-commit"] = REVISION;
    try {
      const r = await prepare(specWith({ huggingface: { repo: REPO, endpoint: branch.url } }), {
        workDir: join(tmp, "branch"),
        storageDir: join(tmp, "storage-branch"),
        extractor: null,
        env: {},
      });
      expect(r.sourceNotes).toEqual([`revision main resolved to commit ${REVISION}`]);
      expect(formatPrepareReport(r)).toContain(`source: revision main resolved to commit ${REVISION}`);
    } finally {
      await branch.close();
    }
  });

  it("a gated repo without a token fails with a message that says so", async () => {
    const spec = specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint: server.url } });
    await expect(prepare(spec, { workDir: join(tmp, "w2"), storageDir: join(tmp, "s2"), extractor: null, env: {} })).rejects.toThrow(
      `access denied (HTTP 401) at ${server.url}/datasets/${REPO}/resolve/${REVISION}/train.jsonl: missing or insufficient token`,
    );
  });

  it("an unreachable hub fails with a message naming the URL", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const spec = specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint } });
    await expect(
      prepare(spec, { workDir: join(tmp, "w3"), storageDir: join(tmp, "s3"), extractor: null, env: {}, download: { retries: 0 } }),
    ).rejects.toThrow(`cannot reach ${endpoint}/datasets/${REPO}/resolve/${REVISION}/train.jsonl: ECONNREFUSED`);
  });

  it("a named secret that is neither mounted nor stood in for by HF_TOKEN is an error naming it", async () => {
    const spec = specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint: server.url, tokenSecret: { name: "hf", key: "token" } } });
    const env = { MEMEOPS_SECRETS_DIR: join(tmp, "no-secrets") };
    await expect(prepare(spec, { workDir: join(tmp, "w5"), storageDir: join(tmp, "s5"), extractor: null, env })).rejects.toThrow(
      `Hugging Face token: secret hf/token is not mounted at ${join(tmp, "no-secrets", "hf", "token")} and HF_TOKEN is not set`,
    );
  });

  it("the token can come from the mounted secret", async () => {
    const secrets = mkdtempSync(join(tmpdir(), "memeops-secrets-"));
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(join(secrets, "hf"));
    writeFileSync(join(secrets, "hf", "token"), `${TOKEN}\n`);
    const spec = specWith({ huggingface: { repo: REPO, revision: REVISION, endpoint: server.url, tokenSecret: { name: "hf", key: "token" } } });
    const r = await prepare(spec, { workDir: join(tmp, "w4"), storageDir: join(tmp, "storage"), extractor: null, env: { MEMEOPS_SECRETS_DIR: secrets } });
    expect(r.splits.map((s) => ("missing" in s ? 0 : s.items))).toEqual([5, 5, 4]);
  });
});
