// Worker thread entry for resize-workers.ts: runs pilResizeRgb (TypeScript, loaded through tsx like the CLI).
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { pilResizeRgb } = await import("./pil-resize.ts");
parentPort.on("message", ({ id, rgb, width, height, outWidth, outHeight, filter }) => {
  try {
    const out = pilResizeRgb(rgb, width, height, outWidth, outHeight, filter);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
