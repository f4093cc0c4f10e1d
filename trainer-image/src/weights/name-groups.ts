// A set of parameter names written compactly and exactly: "bert.encoder.c_layer.*" stands for every parameter
// under that prefix, and is used only when all of them are in the set (for MLflow params, which hold 6000 chars).

export function groupNames(all: readonly string[], subset: readonly string[]): string[] {
  const inSubset = new Set(subset);
  const covered = (prefix: string) => all.every((n) => !n.startsWith(prefix) || inSubset.has(n));
  const out: string[] = [];
  const done = new Set<string>();
  for (const name of subset) {
    const parts = name.split(".");
    let written = name;
    for (let i = 1; i < parts.length; i++) {
      const prefix = `${parts.slice(0, i).join(".")}.`;
      if (covered(prefix)) {
        written = `${prefix}*`;
        break;
      }
    }
    if (!done.has(written)) {
      done.add(written);
      out.push(written);
    }
  }
  return out;
}
