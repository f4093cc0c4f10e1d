// What every `memeops` subcommand provides. Commands return an exit code instead of calling process.exit,
// so tests can run them in-process.
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface Command {
  name: string;
  summary: string;
  /** Full help text, printed by `memeops NAME --help`. */
  help: string;
  run(args: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const wantsHelp = (args: string[]) => args.includes("--help") || args.includes("-h");
