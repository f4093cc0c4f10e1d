// Throughput of the prepare stage's hot steps on this machine:
//   - decodeImage (sha256 + sharp decode to 8-bit sRGB RGB) on meme-sized PNG and JPEG images,
//   - the same followed by a resize to 224x224 (what grid extractors do next),
//   - tokenizing meme texts to 128 ids (MemeTokenizer.encode).
// Usage: npx tsx bench/prepare-decode.ts [--images 48] [--texts 20000]
import { parseArgs } from "node:util";
import sharp from "sharp";
import { decodeImage } from "../trainer-image/src/data/decode.ts";
import { mapLimit } from "../trainer-image/src/data/map-limit.ts";
import { Random } from "../trainer-image/src/data/synth/random.ts";
import { MemeTokenizer } from "../trainer-image/src/text/tokenizer.ts";

const { values } = parseArgs({ options: { images: { type: "string", default: "48" }, texts: { type: "string", default: "20000" } } });
const nImages = Number(values.images);
const nTexts = Number(values.texts);

/** A photo-like picture: smooth gradients, a few blocks, mild noise (compresses like a real meme, unlike noise). */
function picture(rng: Random, width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  const [a, b, c] = [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const block = ((x >> 6) + (y >> 6)) % 3 === 0 ? 60 : 0;
      px[o] = (a + (x * 120) / width + block + rng.int(12)) & 255;
      px[o + 1] = (b + (y * 120) / height + rng.int(12)) & 255;
      px[o + 2] = (c + ((x + y) * 60) / (width + height) - block + rng.int(12)) & 255;
    }
  }
  return px;
}

async function images(format: "png" | "jpeg"): Promise<Buffer[]> {
  const rng = new Random(1);
  return mapLimit(Array.from({ length: nImages }, (_, i) => i), 2, async () => {
    const [w, h] = [rng.pick([500, 550, 600, 800]), rng.pick([400, 450, 600])];
    const img = sharp(picture(rng, w, h), { raw: { width: w, height: h, channels: 3 } });
    return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
  });
}

async function rate(label: string, count: number, unit: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(46)} ${(count / seconds).toFixed(0).padStart(7)} ${unit}/s  (${count} in ${seconds.toFixed(2)} s)`);
}

console.log(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, sharp concurrency ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`);
for (const format of ["png", "jpeg"] as const) {
  const inputs = await images(format);
  const mb = inputs.reduce((n, b) => n + b.length, 0) / inputs.length / 1e6;
  console.log(`${format}: ${inputs.length} images of 500-800 x 400-600 px, ${mb.toFixed(2)} MB each on average`);
  for (const concurrency of [1, 4]) {
    await rate(`  decode -> RGB (concurrency ${concurrency})`, inputs.length, "images", () => mapLimit(inputs, concurrency, (b) => decodeImage(b)));
    await rate(`  decode -> RGB -> resize 224 (concurrency ${concurrency})`, inputs.length, "images", () =>
      mapLimit(inputs, concurrency, async (b) => {
        const { image } = await decodeImage(b);
        return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(224, 224, { fit: "fill" }).raw().toBuffer();
      }),
    );
  }
}

const tokenizer = await MemeTokenizer.load();
const rng = new Random(2);
const words = ["when", "your", "friend", "finally", "understands", "the", "joke", "monday", "again", "nobody", "cares", "about", "my", "cat", "pizza", "unbelievable", "y'all", "3am"];
const texts = Array.from({ length: nTexts }, () => Array.from({ length: 6 + rng.int(20) }, () => rng.pick(words)).join(" "));
await rate("tokenize to 128 ids (text only)", nTexts, "texts", async () => texts.map((t) => tokenizer.encode(t, undefined, 128)));
await rate("tokenize to 128 ids (text + caption pair)", nTexts, "texts", async () => texts.map((t) => tokenizer.encode(t, "a picture of a cat on a sofa", 128)));
