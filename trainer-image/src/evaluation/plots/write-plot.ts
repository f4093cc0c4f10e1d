// A chart on disk: NAME.svg, and NAME.png rendered from it by sharp (librsvg). The SVG is the source of truth; a PNG
// that cannot be rendered is a note, never a failed run.
import sharp from "sharp";
import { join } from "node:path";
import { writeFileAtomic } from "../../common/atomic-write.ts";

export interface PlotFiles {
  name: string;
  svg: string;
  png?: string;
  /** why the picture is incomplete (a metric that is not a number, a one-class split, no PNG) */
  notes?: string[];
}

export async function writePlot(dir: string, name: string, svg: string, notes: string[] = []): Promise<PlotFiles> {
  const svgPath = join(dir, `${name}.svg`);
  await writeFileAtomic(svgPath, svg);
  const out: PlotFiles = { name, svg: svgPath };
  try {
    const png = await svgToPng(svg);
    out.png = join(dir, `${name}.png`);
    await writeFileAtomic(out.png, png);
  } catch (err) {
    notes = [...notes, `PNG not rendered (${err instanceof Error ? err.message : String(err)}): the SVG has the picture`];
  }
  if (notes.length) out.notes = notes;
  return out;
}

export function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
