// The picture of a synthetic meme, drawn into a raw RGB buffer: a low-saturation background, a neutral
// distractor shape, and one large saturated shape whose colour is the visual attribute (warm: red to yellow,
// cool: cyan to blue). The shape covers a good part of the image, so a 4x4 grid of mean patch colours shows it.
import type { Random } from "./random.ts";

export type Shape = "circle" | "square" | "triangle" | "diamond";
const SHAPES: readonly Shape[] = ["circle", "square", "triangle", "diamond"];

/** Everything about a picture except the attribute colour: shared by the warm and cool twin of a scene. */
export interface Scene {
  background: [number, number, number];
  noiseSeed: number;
  main: { shape: Shape; cx: number; cy: number; r: number; saturation: number; value: number; hueOffset: number };
  distractor: { shape: Shape; cx: number; cy: number; r: number; grey: number };
}

export function randomScene(rng: Random): Scene {
  const grey = rng.range(70, 190);
  return {
    background: [grey + rng.range(-12, 12), grey + rng.range(-12, 12), grey + rng.range(-12, 12)],
    noiseSeed: rng.int(2 ** 31),
    main: {
      shape: rng.pick(SHAPES),
      cx: rng.range(0.35, 0.65),
      cy: rng.range(0.35, 0.65),
      r: rng.range(0.22, 0.32),
      saturation: rng.range(0.75, 1),
      value: rng.range(0.75, 1),
      hueOffset: rng.next(),
    },
    distractor: { shape: rng.pick(SHAPES), cx: rng.pick([0.15, 0.85]), cy: rng.pick([0.15, 0.85]), r: rng.range(0.08, 0.13), grey: rng.range(20, 240) },
  };
}

// Hue ranges in degrees: warm 350..50 (red, orange, yellow), cool 180..250 (cyan, azure, blue).
const HUES = { warm: [-10, 50], cool: [180, 250] } as const;

export function renderScene(scene: Scene, warm: boolean, size: number): Buffer {
  const px = Buffer.alloc(size * size * 3);
  const [lo, hi] = warm ? HUES.warm : HUES.cool;
  const colour = hsvToRgb(lo + scene.main.hueOffset * (hi - lo), scene.main.saturation, scene.main.value);
  const { main, distractor } = scene;
  let noise = scene.noiseSeed >>> 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      // xorshift noise: cheap, deterministic, and keeps the background low-saturation (same offset on R, G, B)
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      const jitter = ((noise >>> 0) % 17) - 8;
      let rgb: readonly number[] = scene.background.map((c) => c + jitter - 10 * v);
      if (inside(distractor.shape, u - distractor.cx, v - distractor.cy, distractor.r)) rgb = [distractor.grey, distractor.grey, distractor.grey];
      if (inside(main.shape, u - main.cx, v - main.cy, main.r)) rgb = colour;
      const o = (y * size + x) * 3;
      px[o] = clamp(rgb[0] as number);
      px[o + 1] = clamp(rgb[1] as number);
      px[o + 2] = clamp(rgb[2] as number);
    }
  }
  return px;
}

function inside(shape: Shape, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case "circle":
      return dx * dx + dy * dy <= r * r;
    case "square":
      return Math.abs(dx) <= r * 0.9 && Math.abs(dy) <= r * 0.9;
    case "diamond":
      return Math.abs(dx) + Math.abs(dy) <= r * 1.2;
    case "triangle":
      // apex up: inside when below the two slanted edges and above the base
      return dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) * 0.6;
  }
}

function hsvToRgb(hueDeg: number, s: number, v: number): [number, number, number] {
  const h = (((hueDeg % 360) + 360) % 360) / 60;
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
