// `memeops`: one command-line tool for users, the operator's container and the trainer's container.
import { type Command, UsageError } from "./command.ts";
import { crdCommand } from "./commands/crd.ts";
import { operatorCommand } from "./commands/operator.ts";
import { trainerCommand } from "./commands/trainer.ts";
import { runCommand } from "./commands/run.ts";
import { dataCommand } from "./commands/data.ts";
import { validateCommand } from "./commands/validate.ts";
import { weightsCommand } from "./commands/weights.ts";

const commands: Command[] = [validateCommand, crdCommand, runCommand, dataCommand, weightsCommand, operatorCommand, trainerCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: memeops COMMAND [ARGS]   (memeops COMMAND --help for details)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`memeops: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`memeops ${name}: ${err.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`memeops ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
