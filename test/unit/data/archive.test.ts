// The archive source: a tar.gz or zip of the layout at a URL, a per-image fallback URL, annotations elsewhere.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { c as tarCreate } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../../trainer-image/src/data/extract.ts";
import { openPreparedSplit } from "../../../trainer-image/src/data/prepared.ts";
import { prepare } from "../../../trainer-image/src/stages/prepare.ts";
import { startFileServer, type FileServer } from "./fixtures/http-server.ts";
import { harmemeFiles, harmemeLayout } from "./fixtures/harmeme-layout.ts";
import { hatefulMemesFiles, writeFiles } from "./fixtures/layout.ts";
import { specWith } from "./fixtures/spec.ts";

const tmp = mkdtempSync(join(tmpdir(), "memeops-archive-"));
const NOT_IN_ARCHIVE = "img/10001.png";
let server: FileServer;
let files: Map<string, Buffer>;

beforeAll(async () => {
  files = await hatefulMemesFiles();
  // the archive wraps the layout in a top folder, and lacks one image that only the fallback has
  const packed = new Map([...files].filter(([rel]) => rel !== NOT_IN_ARCHIVE).map(([rel, b]) => [`hateful_memes/${rel}`, b]));
  const src = join(tmp, "src");
  await writeFiles(src, packed);
  await tarCreate({ gzip: true, cwd: src, file: join(tmp, "memes.tar.gz"), portable: true }, ["hateful_memes"]);
  // HarMeme in a top folder: its root holds annotations/ and images/, and annotations/ holds the split files
  await writeFiles(join(tmp, "src-harmeme"), new Map([...(await harmemeFiles())].map(([rel, b]) => [`harmeme/${rel}`, b])));
  await tarCreate({ gzip: true, cwd: join(tmp, "src-harmeme"), file: join(tmp, "harmeme.tar.gz"), portable: true }, ["harmeme"]);
  const zip = Buffer.from(zipSync(Object.fromEntries([...packed].map(([k, v]) => [k, new Uint8Array(v)]))));
  server = await startFileServer({
    "/data/memes.tar.gz": readFileSync(join(tmp, "memes.tar.gz")),
    "/data/memes.zip": zip,
    "/data/harmeme.tar.gz": readFileSync(join(tmp, "harmeme.tar.gz")),
    "/data/evil.zip": Buffer.from(zipSync({ "../evil.txt": new Uint8Array([1]), "img/a.png": new Uint8Array([2]) })),
    ...Object.fromEntries([...files].filter(([rel]) => rel.startsWith("img/")).map(([rel, b]) => [`/fallback/${rel.slice(4)}`, b])),
    ...Object.fromEntries([...files].filter(([rel]) => rel.endsWith(".jsonl")).map(([rel, b]) => [`/annotations/${rel}`, b])),
  });
});
afterAll(() => server.close());

const run = (archive: Parameters<typeof specWith>[0]["archive"], name: string) =>
  prepare(specWith({ archive }), { workDir: join(tmp, `work-${name}`), storageDir: join(tmp, `storage-${name}`), extractor: null, download: { retries: 0 } });

describe("archive source", () => {
  it.each(["memes.tar.gz", "memes.zip"])("%s: unpacks, finds the layout in its top folder, fetches a missing image from the fallback", async (file) => {
    const url = `${server.url}/data/${file}`;
    const report = await run({ url, fallbackUrl: `${server.url}/fallback/{file}` }, file);
    const train = report.splits.find((s) => s.role === "train");
    expect(train).toMatchObject({ items: 5, dropped: 2 });
    expect(report.dropped.find((d) => d.id === "10003")?.reason).toBe(
      `image missing: ${url}!/img/10003.png or ${server.url}/fallback/10003.png`,
    );
    expect(report.sourceNotes).toEqual(["2 images requested from the fallback URL"]);
    const split = await openPreparedSplit(report.output, "train");
    const fromFallback = split.items.find((i) => i.id === "10001");
    const sha = createHash("sha256").update(files.get(NOT_IN_ARCHIVE)!).digest("hex");
    expect(fromFallback?.image.sha256).toBe(sha);
    await split.close();
  });

  it("another layout: the root is the folder holding the layout's image and annotation folders", async () => {
    const spec = specWith(
      { archive: { url: `${server.url}/data/harmeme.tar.gz` } },
      { dataset: { source: { archive: { url: `${server.url}/data/harmeme.tar.gz` } }, layout: harmemeLayout, splits: { validation: "val" } } },
    );
    const report = await prepare(spec, { workDir: join(tmp, "work-harmeme"), storageDir: join(tmp, "storage-harmeme"), extractor: null, download: { retries: 0 } });
    expect(report.dropped).toEqual([]);
    expect(report.splits.map((s) => ("items" in s ? s.items : 0))).toEqual([12, 6, 6]);
  });

  it("checks the archive's sha256 and does not fall back when it is wrong", async () => {
    const url = `${server.url}/data/memes.zip`;
    await expect(run({ url, sha256: "a".repeat(64), fallbackUrl: `${server.url}/fallback/{file}` }, "badsha")).rejects.toThrow(
      `sha256 mismatch for ${url}: expected ${"a".repeat(64)}`,
    );
  });

  it("an archive that cannot be had: every image from the fallback, split files from annotationsUrl", async () => {
    const report = await run(
      { url: `${server.url}/data/gone.zip`, annotationsUrl: `${server.url}/annotations`, fallbackUrl: `${server.url}/fallback/{file}` },
      "gone",
    );
    expect(report.sourceNotes[0]).toBe(`archive unavailable (not found (HTTP 404): ${server.url}/data/gone.zip): every image from the fallback URL`);
    expect(report.splits.map((s) => ("missing" in s ? -1 : s.items))).toEqual([5, 5, 4]);
  });

  it("without a fallback, a missing archive is an error naming its URL", async () => {
    await expect(run({ url: `${server.url}/data/gone.zip` }, "nofallback")).rejects.toThrow(`not found (HTTP 404): ${server.url}/data/gone.zip`);
  });

  it("refuses a zip entry that points outside the directory", async () => {
    const res = await fetch(`${server.url}/data/evil.zip`);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(tmp, "evil.zip"), Buffer.from(await res.arrayBuffer()));
    await expect(extractArchive(join(tmp, "evil.zip"), join(tmp, "evil"))).rejects.toThrow(/entry "\.\.\/evil\.txt" points outside the archive/);
    expect(existsSync(join(tmp, "evil.txt"))).toBe(false);
  });
});
