// The layering of the repository: the operator and the trainer meet only in api/ (the contract: stage names and
// plans, report schemas, the termination message, condition types, the JSON log format) and tracking/, never in
// each other's code; and no two folders import each other, directly or around a loop, at the top level or among
// trainer-image/src's folders. A failure names one import that closes the loop.
import { describe, expect, test } from "vitest";
import { cycles, folderGraph, importEdges } from "./import-graph.ts";

const SOURCE_FOLDERS = ["api", "cli", "operator", "search", "trainer-image/src", "tracking"];
const edges = importEdges(SOURCE_FOLDERS);
const topFolder = (file: string) => file.split("/")[0];
const trainerFolder = (file: string) => (file.startsWith("trainer-image/src/") ? file.split("/")[2] : undefined);

/** What each top-level folder may import besides itself. */
const MAY_IMPORT: Record<string, string[]> = {
  api: [],
  search: [],
  tracking: ["api"],
  operator: ["api", "tracking", "search"],
  "trainer-image": ["api", "tracking"],
  cli: ["api", "tracking", "operator", "search", "trainer-image"],
};

const describeCycles = (graph: ReturnType<typeof folderGraph>) =>
  cycles(graph).map((c) => {
    const links = c.flatMap((a) => [...(graph.get(a) ?? [])].filter(([b]) => c.includes(b)).map(([b, e]) => `${a} -> ${b} (${e.from} imports ${e.to})`));
    return `${c.join(" <-> ")}: ${links.join("; ")}`;
  });

describe("folder layering", () => {
  test("the graph is read from the real sources", () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.some((e) => e.from === "operator/builders/job.ts" && e.to.startsWith("api/"))).toBe(true);
  });

  test.each(Object.keys(MAY_IMPORT))("%s/ imports only its own code and the folders below it", (folder) => {
    const allowed = new Set([folder, ...MAY_IMPORT[folder]!]);
    const bad = edges.filter((e) => topFolder(e.from) === folder && !allowed.has(topFolder(e.to)!)).map((e) => `${e.from} imports ${e.to}`);
    expect(bad).toEqual([]);
  });

  test("every source file sits in a folder the rules name", () => {
    expect(edges.map((e) => topFolder(e.to)).filter((f) => !(f! in MAY_IMPORT))).toEqual([]);
  });

  test("no import cycle between top-level folders", () => {
    expect(describeCycles(folderGraph(edges, topFolder))).toEqual([]);
  });

  test("no import cycle between trainer-image/src folders", () => {
    expect(describeCycles(folderGraph(edges, trainerFolder))).toEqual([]);
  });
});

describe("the cycle finder", () => {
  const graph = (pairs: [string, string][]) =>
    folderGraph(
      pairs.map(([a, b]) => ({ from: `${a}/x.ts`, to: `${b}/y.ts` })),
      (f) => f.split("/")[0],
    );

  test("finds a loop of two and one around three folders, and none in a layered graph", () => {
    expect(cycles(graph([["a", "b"], ["b", "a"], ["c", "d"], ["d", "e"], ["e", "c"], ["e", "f"]]))).toEqual([["a", "b"], ["c", "d", "e"]]);
    expect(cycles(graph([["a", "b"], ["b", "c"], ["a", "c"]]))).toEqual([]);
  });
});
