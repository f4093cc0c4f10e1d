// The sweep's status is its search memory, so it grows with its trials; etcd refuses an object above 1.5 MiB, and a
// status write that big would stop the sweep. This measures the status a large sweep really writes.
import { describe, expect, test } from "vitest";
import { memeSweepStatus } from "../../../api/v1alpha1/sweep-status.ts";
import { PARAMETER_PATHS } from "../../../api/v1alpha1/parameter-paths.ts";
import { MAX_PARAMETERS } from "../../../api/v1alpha1/sweep-spec.ts";

const ETCD_LIMIT = 1.5 * 1024 * 1024;
// the longest real parameter paths: the worst keys a trial's parameters can have
const longestPaths = [...PARAMETER_PATHS.keys()].sort((a, b) => b.length - a.length).slice(0, MAX_PARAMETERS);

function statusBytes(trials: number, value: (i: number) => string | number): number {
  const parameters = Object.fromEntries(longestPaths.map((p, i) => [p, value(i)]));
  const trial = (i: number) => ({
    name: `${"s".repeat(57)}-t${String(i + 1).padStart(4, "0")}`,
    index: i,
    parameters,
    phase: "Pruned",
    value: 0.123456789,
    epoch: 12,
    reason: "median",
    message: "m".repeat(256),
    judgedEpoch: 12,
    reruns: 3,
    evictedUid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
  });
  const status = memeSweepStatus.parse({ trialsCreated: trials, trials: Array.from({ length: trials }, (_, i) => trial(i)) });
  return Buffer.byteLength(JSON.stringify(status));
}

describe("a sweep's status stays below etcd's object limit", () => {
  test("200 trials of 20 parameters (the longest paths, numbers and 40-character strings), every text field full: under a third of it", () => {
    expect(longestPaths).toHaveLength(20);
    const bytes = statusBytes(200, (i) => (i % 2 ? 0.000123456789 : "x".repeat(40)));
    console.log(`[sweep status] 200 trials x 20 parameters: ${(bytes / 1024).toFixed(0)} KiB of ${ETCD_LIMIT / 1024} KiB`);
    expect(bytes).toBeLessThan(ETCD_LIMIT / 3);
  });
});
