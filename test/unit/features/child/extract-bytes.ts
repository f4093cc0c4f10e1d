// Child process for the determinism test: for each case (JSON argument), extract features of the standard test
// images and write their bytes to <out dir>/<name>.bin.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createExtractor } from "../../../../trainer-image/src/features/registry.ts";
import { bytesOf, testImages } from "../helpers.ts";

const [casesJson, outDir] = process.argv.slice(2);
for (const { name, regions, model } of JSON.parse(casesJson!) as { name: string; regions: number; model?: string }[]) {
  const extractor = await createExtractor(name, { regions, ...(model ? { modelPath: model } : {}) });
  const features = await extractor.extract(testImages(3));
  writeFileSync(join(outDir!, `${name}.bin`), Buffer.concat(features.map(bytesOf)));
  await extractor.close();
}
