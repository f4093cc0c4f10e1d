// Odd images, as real meme datasets have them: each one decodes to correct RGB with a note, or is excluded with a
// reason. None becomes a blank (all-zero) image.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../../trainer-image/src/data/decode.ts";
import { checkImage, MIN_IMAGE_SIDE } from "../../../trainer-image/src/data/image-check.ts";
import * as make from "./fixtures/images.ts";

const dir = mkdtempSync(join(tmpdir(), "memeops-img-"));
const files: Record<string, string> = {};

beforeAll(async () => {
  const write = async (name: string, bytes: Promise<Buffer> | Buffer) => {
    files[name] = join(dir, name);
    writeFileSync(files[name], await bytes);
  };
  await write("plain.png", make.png(40, 30, [200, 40, 40]));
  await write("truncated.png", make.truncatedPng());
  await write("jpeg-inside.png", make.jpeg(40, 30, [40, 40, 200]));
  await write("cmyk.jpg", make.cmykJpeg());
  await write("gray.png", make.grayscalePng());
  await write("deep.png", make.sixteenBitPng());
  await write("alpha.png", make.rgbaPng());
  await write("tiny.png", make.png(1, 1));
  await write("huge.jpg", make.largeJpeg());
  await write("animated.gif", make.animatedGif());
  await write("empty.png", Buffer.alloc(0));
  await write("text.png", Buffer.from("<html>not an image</html>"));
});

const ok = async (name: string, maxSide?: number) => {
  const r = await checkImage(files[name]!, name, maxSide ? { maxSide } : {});
  if (!r.ok) throw new Error(`${name}: ${r.reason}`);
  const { image } = r.decoded;
  expect(image.rgb.length).toBe(image.width * image.height * 3);
  expect(image.rgb.some((v) => v !== 0)).toBe(true);
  return r.decoded;
};
const pixel = (d: Awaited<ReturnType<typeof ok>>, x = 0, y = 0) => [...d.image.rgb.subarray((y * d.image.width + x) * 3, (y * d.image.width + x) * 3 + 3)];
const near = (got: number[], want: number[], tolerance: number) => got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(tolerance));

describe("images", () => {
  it("a plain PNG: RGB bytes and the sha256 of the file", async () => {
    const d = await ok("plain.png");
    expect([d.image.width, d.image.height, d.format]).toEqual([40, 30, "png"]);
    expect(pixel(d, 5, 5)).toEqual([200, 40, 40]);
    expect(d.image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.notes).toEqual([]);
  });

  it("a truncated PNG is excluded with the decoder's reason", async () => {
    const r = await checkImage(files["truncated.png"]!, "img/x.png");
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^image does not decode: .*(read error|truncated|premature)/i) });
  });

  it("JPEG bytes in a .png file decode, with a note", async () => {
    const d = await ok("jpeg-inside.png");
    expect(d.format).toBe("jpeg");
    expect(d.notes).toEqual(["jpeg data in a .png file"]);
    near(pixel(d, 10, 10), [40, 40, 200], 6);
  });

  it("CMYK is converted to sRGB (red stays red)", async () => {
    const d = await ok("cmyk.jpg");
    expect(d.notes).toContain("CMYK converted to sRGB");
    const [r, g, b] = pixel(d, 10, 10) as [number, number, number];
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(100);
    expect(b).toBeLessThan(100);
  });

  it("grayscale becomes three equal channels", async () => {
    const d = await ok("gray.png");
    expect(d.notes).toContain("grayscale converted to RGB");
    expect(pixel(d, 3, 3)).toEqual([90, 90, 90]);
  });

  it("16-bit samples are scaled to 8-bit, not cut", async () => {
    const d = await ok("deep.png");
    expect(d.notes).toContain("16-bit samples reduced to 8-bit");
    near(pixel(d, 3, 3), [255, 128, 0], 1);
  });

  it("alpha is removed", async () => {
    const d = await ok("alpha.png");
    expect(d.notes).toContain("alpha channel removed");
    expect(pixel(d)).toEqual([10, 200, 10]);
  });

  it(`a 1x1 image is excluded: below ${MIN_IMAGE_SIDE} px per side`, async () => {
    expect(await checkImage(files["tiny.png"]!, "img/t.png")).toEqual({ ok: false, reason: `image too small: 1x1 (at least ${MIN_IMAGE_SIDE} px per side)` });
  });

  it("a 4000x3000 photo is accepted and decoded at most maxSide wide", async () => {
    const d = await ok("huge.jpg", 1333);
    expect([d.originalWidth, d.originalHeight, d.image.width, d.image.height]).toEqual([4000, 3000, 1333, 1000]);
    expect(d.notes).toEqual(["resized from 4000x3000 to 1333x1000"]);
    near(pixel(d, 600, 500), [120, 130, 140], 4);
  });

  it("an animated GIF gives its first frame, with a note", async () => {
    const d = await ok("animated.gif");
    expect([d.image.width, d.image.height]).toEqual([32, 24]);
    expect(d.notes).toContain("animated gif, 2 frames: first frame used");
    near(pixel(d, 5, 5), [250, 0, 0], 10);
  });

  it("missing, empty and non-image files are excluded with their reasons", async () => {
    expect(await checkImage(null, "https://hub/img/01235.png")).toEqual({ ok: false, reason: "image missing: https://hub/img/01235.png" });
    expect(await checkImage(files["empty.png"]!, "e")).toEqual({ ok: false, reason: "image does not decode: empty file" });
    expect(await checkImage(files["text.png"]!, "t")).toMatchObject({ ok: false, reason: expect.stringMatching(/^image does not decode: /) });
    expect(await checkImage(join(dir, "nope.png"), "n")).toMatchObject({ ok: false, reason: expect.stringMatching(/^image does not decode: ENOENT/) });
  });

  it("the same bytes give the same sha256 and pixels", async () => {
    const bytes = await make.jpeg(20, 20);
    const [a, b] = await Promise.all([decodeImage(bytes), decodeImage(bytes)]);
    expect(a.image.sha256).toBe(b.image.sha256);
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(b.image.rgb))).toBe(true);
  });
});
