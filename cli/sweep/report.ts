// What `memeops sweep run` prints and writes: parameters in a line, a table of the trials, a params/metric CSV.
import { trialsCsv } from "../../api/contract/sweep.ts";
import type { Params } from "../../search/index.ts";
import type { SweepResult } from "./runner.ts";

export const describe = (p: Params) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(3) : v}`).join(" ");

/** One row per trial (trial, phase, value, epoch, parameters); the best trial marked with *. */
export function formatTable(r: SweepResult): string {
  const metric = r.objective.metric;
  const rows = r.trials.map((t) => [
    `${t.name}${t.name === r.bestTrial?.name ? " *" : ""}`,
    t.phase,
    t.value === undefined ? "-" : t.value.toFixed(4),
    t.epoch === undefined ? "-" : String(t.epoch),
    describe(t.parameters),
  ]);
  const header = ["trial", "phase", metric, "epoch", "parameters"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const best = r.bestTrial ? `best: ${r.bestTrial.name} ${metric} ${r.bestTrial.value.toFixed(4)} at epoch ${r.bestTrial.epoch ?? "-"} (${describe(r.bestTrial.parameters)})` : "best: none";
  const counts = Object.entries(r.counts).filter(([, n]) => n > 0).map(([p, n]) => `${n} ${p}`).join(", ");
  return [line(header), ...rows.map(line), best, `${r.name}: ${r.phase} (${r.reason}: ${r.message}); ${counts}; ${r.wallSeconds} s`].join("\n");
}

/**
 * trial, index, phase, one column per parameter path, the objective's value and epoch, epochs run, seconds, reason:
 * the operator's trials table (its sweep run's trials.csv) with two more columns.
 */
export function toCsv(r: SweepResult): string {
  return trialsCsv(r.objective.metric, r.trials, { epochs_run: (t) => t.curve.length, seconds: (t) => t.seconds });
}
