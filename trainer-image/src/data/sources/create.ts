// spec.dataset.source (exactly one variant is set; the schema checks that) to a DatasetSource.
import type { DatasetLayout, DatasetSpec } from "../../../../api/v1alpha1/spec.ts";
import { DEFAULT_LAYOUT } from "../rows.ts";
import { archiveSource } from "./archive.ts";
import { directorySource } from "./directory.ts";
import { huggingfaceSource } from "./huggingface.ts";
import type { DatasetSource, SourceContext } from "./source.ts";
import { syntheticSource } from "./synthetic.ts";

export function createSource(source: DatasetSpec["source"], ctx: SourceContext, layout: DatasetLayout = DEFAULT_LAYOUT): DatasetSource {
  if (source.huggingface) return huggingfaceSource(source.huggingface, ctx);
  if (source.directory) return directorySource(source.directory.path);
  if (source.archive) return archiveSource(source.archive, ctx, rootFolders(layout));
  if (source.synthetic) {
    const { count, seed, imageSize } = source.synthetic;
    return syntheticSource({ n: count, seed, imageSize }, ctx);
  }
  throw new Error("spec.dataset.source: none of huggingface, directory, archive, synthetic is set");
}

/** The top folders of the layout's image and annotation folders: what marks the dataset root in an archive. */
function rootFolders(layout: DatasetLayout): string[] {
  const top = (path?: string) => path?.split("/")[0];
  const folders = [top(layout.images), top(layout.annotations)].filter((f): f is string => f !== undefined);
  return folders.length ? folders : ["img"];
}
