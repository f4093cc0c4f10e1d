// spec.dataset.source (exactly one variant is set; the schema checks that) to a DatasetSource.
import type { DatasetSpec } from "../../../../api/v1alpha1/spec.ts";
import { archiveSource } from "./archive.ts";
import { directorySource } from "./directory.ts";
import { huggingfaceSource } from "./huggingface.ts";
import type { DatasetSource, SourceContext } from "./source.ts";
import { syntheticSource } from "./synthetic.ts";

export function createSource(source: DatasetSpec["source"], ctx: SourceContext): DatasetSource {
  if (source.huggingface) return huggingfaceSource(source.huggingface, ctx);
  if (source.directory) return directorySource(source.directory.path);
  if (source.archive) return archiveSource(source.archive, ctx);
  if (source.synthetic) {
    const { count, seed, imageSize } = source.synthetic;
    return syntheticSource({ n: count, seed, imageSize }, ctx);
  }
  throw new Error("spec.dataset.source: none of huggingface, directory, archive, synthetic is set");
}
