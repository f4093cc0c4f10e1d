import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { installExitHandlers, type ProcessLike } from "../../../tracking/exit-handlers.ts";
import type { TerminalStatus } from "../../../tracking/names.ts";

function fakeProcess() {
  const em = new EventEmitter();
  const exits: number[] = [];
  const proc = Object.assign(em, {
    exitCode: undefined as number | undefined,
    exit: ((code?: number) => void exits.push(code ?? 0)) as unknown as ProcessLike["exit"],
  });
  return { proc: proc as unknown as ProcessLike & EventEmitter & { exitCode?: number }, exits };
}
function fakeTracker() {
  const statuses: TerminalStatus[] = [];
  return {
    statuses,
    finished: false,
    finish: vi.fn(async function (this: { finished: boolean }, s: TerminalStatus) {
      statuses.push(s);
      return true;
    }),
  };
}
const logger = { info() {}, warn() {}, error() {}, debug() {} };

describe("installExitHandlers", () => {
  it.each([
    ["SIGTERM", "KILLED", 143],
    ["SIGINT", "KILLED", 130],
    ["uncaughtException", "FAILED", 1],
    ["unhandledRejection", "FAILED", 1],
  ] as const)("%s -> %s, exit %i", async (event, status, code) => {
    const { proc, exits } = fakeProcess();
    const t = fakeTracker();
    installExitHandlers(t, { proc, logger });
    proc.emit(event, new Error("x"));
    proc.emit(event, new Error("again")); // a second signal while finishing changes nothing
    await vi.waitFor(() => expect(exits).toEqual([code]));
    expect(t.statuses).toEqual([status]);
  });

  it("beforeExit without finish(): FINISHED, or FAILED when the exit code says so", async () => {
    for (const [exitCode, status] of [[undefined, "FINISHED"], [2, "FAILED"]] as const) {
      const { proc, exits } = fakeProcess();
      proc.exitCode = exitCode;
      const t = fakeTracker();
      installExitHandlers(t, { proc, logger });
      proc.emit("beforeExit");
      await vi.waitFor(() => expect(t.statuses).toEqual([status]));
      expect(exits).toEqual([]); // the process ends by itself
    }
  });

  it("does nothing at beforeExit once finished, and can be removed", () => {
    const { proc } = fakeProcess();
    const t = { ...fakeTracker(), finished: true };
    const remove = installExitHandlers(t, { proc, logger });
    proc.emit("beforeExit");
    expect(t.finish).not.toHaveBeenCalled();
    remove();
    expect(proc.listenerCount("SIGTERM")).toBe(0);
  });
});
