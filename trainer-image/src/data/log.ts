// Where the prepare stage writes human-readable progress lines. A function, so the CLI, the trainer's Job log and
// tests can each decide what to do with a line.
export type Log = (line: string) => void;

export const silent: Log = () => {};
