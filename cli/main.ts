// `memeops`: one command-line tool for users, the operator's container and the trainer's container.
import { type Command, UsageError } from "./command.ts";

// Loaded on use: the operator's process never imports tfjs, onnxruntime or sharp, and each command starts faster.
const commands: Record<string, () => Promise<Command>> = {
  validate: async () => (await import("./commands/validate.ts")).validateCommand,
  crd: async () => (await import("./commands/crd.ts")).crdCommand,
  run: async () => (await import("./commands/run.ts")).runCommand,
  sweep: async () => (await import("./commands/sweep.ts")).sweepCommand,
  data: async () => (await import("./commands/data.ts")).dataCommand,
  weights: async () => (await import("./commands/weights.ts")).weightsCommand,
  models: async () => (await import("./commands/models.ts")).modelsCommand,
  operator: async () => (await import("./commands/operator.ts")).operatorCommand,
  trainer: async () => (await import("./commands/trainer.ts")).trainerCommand,
};

// The operator image carries only the operator's packages: a command whose modules are absent is listed as such.
async function usage(): Promise<string> {
  const names = Object.keys(commands);
  const loaded = await Promise.allSettled(names.map((name) => commands[name]!()));
  const width = Math.max(...names.map((n) => n.length));
  return [
    "Usage: memeops COMMAND [ARGS]   (memeops COMMAND --help for details)",
    "",
    ...loaded.map((r, i) =>
      `  ${names[i]!.padEnd(width)}  ${r.status === "fulfilled" ? r.value.summary : "(not available here: its packages are not installed)"}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    console.error(`memeops: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const command = await load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      // the error is the last line: a pod's log tail (its termination message without a file) shows it
      console.error(`memeops ${name}: ${err.message}\n(memeops ${name} --help for usage)`);
      return 2;
    }
    console.error(`memeops ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
