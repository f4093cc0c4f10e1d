// spec.dataset.source.synthetic: the `memeops data synth` dataset, generated once under the storage path (keyed
// by its parameters and the generator's version) and then read like any directory.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SYNTH_VERSION, writeSynthetic, type SynthOptions } from "../synth/generate.ts";
import { directorySource, isFile } from "./directory.ts";
import type { DatasetSource, SourceContext } from "./source.ts";

export function syntheticSource(options: SynthOptions, ctx: SourceContext): DatasetSource {
  const dir = join(ctx.workDir, "synthetic", `v${SYNTH_VERSION}-n${options.n}-seed${options.seed}-px${options.imageSize}`);
  const inner = directorySource(dir);
  let generated: Promise<void> | undefined;
  const generate = async () => {
    const marker = join(dir, ".memeops-complete");
    if (await isFile(marker)) return;
    await rm(dir, { recursive: true, force: true });
    ctx.log(`generating ${options.n} synthetic memes (seed ${options.seed}, ${options.imageSize} px) in ${dir}`);
    await writeSynthetic(dir, options);
    await writeFile(marker, "");
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
