import { expect, test } from "vitest";
import { failureSummary } from "../../ci/failed-tests.ts";

test("CI's last lines name each failed test with its message and own frame, not vitest's stack", () => {
  const root = "/ci/clone/";
  const summary = failureSummary(
    [
      { name: `${root}test/a.test.ts`, status: "passed", assertionResults: [{ fullName: "fine", status: "passed" }] },
      {
        name: `${root}test/b.test.ts`,
        status: "failed",
        assertionResults: [
          { fullName: "b panel X", status: "failed", failureMessages: ["\u001b[31mAssertionError: no data: up\u001b[39m\n    at /ci/clone/node_modules/x.js:1:1\n    at /ci/clone/test/b.test.ts:12:3"] },
          { fullName: "b other", status: "passed" },
        ],
      },
      { name: `${root}test/c.test.ts`, status: "failed", message: "Error: beforeAll timed out", assertionResults: [] },
    ],
    root,
  );
  expect(summary).toBe("ci: 2 failed:\nFAIL test/b.test.ts > b panel X\n  AssertionError: no data: up\n  at test/b.test.ts:12:3\nFAIL test/c.test.ts: Error: beforeAll timed out");
  expect(failureSummary([], root)).toBe("ci: the vitest report lists no failed test");
});
