// spec.dataset.source.synthetic: the `memeops data synth` dataset, generated once under the storage path (keyed
// by its parameters and the generator's version) and then read like any directory.
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SYNTH_VERSION, writeSynthetic, type SynthOptions } from "../synth/generate.ts";
import { directorySource, isFile } from "./directory.ts";
import type { DatasetSource, SourceContext } from "./source.ts";

export function syntheticSource(options: SynthOptions, ctx: SourceContext): DatasetSource {
  const dir = join(ctx.workDir, "synthetic", `v${SYNTH_VERSION}-n${options.n}-seed${options.seed}-px${options.imageSize}`);
  const inner = directorySource(dir);
  let generated: Promise<void> | undefined;
  // Several runs may share the storage path (a sweep's parallel trials, on one machine or one volume): each writes
  // into a directory of its own and renames it into place whole; the first rename wins and the others use it.
  const generate = async () => {
    const marker = join(dir, ".memeops-complete");
    if (await isFile(marker)) return;
    const unique = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const partial = `${dir}.partial-${unique}`;
    ctx.log(`generating ${options.n} synthetic memes (seed ${options.seed}, ${options.imageSize} px) in ${dir}`);
    try {
      await writeSynthetic(partial, options);
      await writeFile(join(partial, ".memeops-complete"), "");
      await rename(partial, dir).catch(async (err: NodeJS.ErrnoException) => {
        if (!["ENOTEMPTY", "EEXIST"].includes(err.code ?? "")) throw err;
        if (await isFile(marker)) return; // another run published it first
        // an incomplete one, left by a run that died while writing in place: moved aside whole, then replaced
        const stale = `${dir}.stale-${unique}`;
        await rename(dir, stale);
        await rename(partial, dir);
        await rm(stale, { recursive: true, force: true });
      });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  };
  return {
    origin: `synthetic n=${options.n} seed=${options.seed} imageSize=${options.imageSize}`,
    async file(relPath) {
      await (generated ??= generate());
      return inner.file(relPath);
    },
    locate: (relPath) => join(dir, relPath),
    notes: () => [],
  };
}
