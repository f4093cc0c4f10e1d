// The prepare summary's notes: grouped by kind, shown with the real values a person can act on.
import { describe, expect, it } from "vitest";
import { formatPrepareReport, NoteCollector, REPORT_FORMAT, type PrepareReport } from "../../../trainer-image/src/stages/prepare-report.ts";

const reportWith = (notes: NoteCollector): PrepareReport => ({
  format: REPORT_FORMAT,
  source: "/data",
  sourceNotes: [],
  output: "/w/prepared",
  fingerprint: "f",
  reused: false,
  splits: [],
  sharedIds: [],
  dropped: [],
  notes: notes.list(),
  tokenizer: { origin: "bert-base-uncased", fingerprint: "t", maxSequenceLength: 16 },
  features: { skipped: "not requested" },
  captions: null,
  downloads: { hits: 0, misses: 0, bytesDownloaded: 0 },
  timings: [],
  seconds: 1,
});

describe("prepare report notes", () => {
  it("a kind with numbers shows its most common real values with counts, not the #x# pattern", () => {
    const notes = new NoteCollector();
    const sizes = ["2000x1500 to 1333x1000", "2000x1500 to 1333x1000", "2000x1500 to 1333x1000", "1400x1400 to 1333x1333", "1400x1400 to 1333x1333", "3000x1000 to 1333x444", "1500x1500 to 1333x1333"];
    sizes.forEach((s, i) => notes.add("train", String(i), `resized from ${s}`));
    notes.add("test", "9", "jpeg data in a .png file");
    const text = formatPrepareReport(reportWith(notes));
    expect(text).toContain(
      "  note: 7 x resized from 2000x1500 to 1333x1000 (3), resized from 1400x1400 to 1333x1333 (2), resized from 1500x1500 to 1333x1333 (1), and 1 other",
    );
    expect(text).not.toContain("#");
    expect(text).toContain("  note: 1 x jpeg data in a .png file (e.g. test/9: jpeg data in a .png file)");
    expect(notes.list()[0]).toMatchObject({ kind: "resized from #x# to #x#", count: 7, distinct: 4 });
  });
});
