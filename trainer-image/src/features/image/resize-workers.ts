// Pillow-exact resizing (pil-resize.ts) on worker threads, so it overlaps with onnxruntime's inference instead of
// holding the JS thread between runs: measured on efficientnet, the resize cost 20-70 ms per image on the JS
// thread against ~55 ms of inference. Same function, same bytes; MEMEOPS_RESIZE_THREADS=0 resizes inline.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { pilResizeRgb, type PilFilter } from "./pil-resize.ts";

interface Pending {
  resolve: (out: Uint8Array) => void;
  reject: (error: Error) => void;
}

/** MEMEOPS_RESIZE_THREADS, else half the cores (onnxruntime's intra-op threads take the rest), at least 1. */
export function resizeThreads(): number {
  const fromEnv = Number(process.env.MEMEOPS_RESIZE_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : Math.max(1, Math.floor(availableParallelism() / 2));
}

class ResizePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextWorker = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./pil-resize-worker.mjs", import.meta.url));
      worker.on("message", ({ id, out, error }: { id: number; out?: Uint8Array; error?: string }) => {
        const job = this.pending.get(id);
        this.pending.delete(id);
        this.holdProcess();
        if (error !== undefined || !out) job?.reject(new Error(error ?? "resize worker returned nothing"));
        else job?.resolve(out);
      });
      worker.on("error", (error) => this.failAll(error));
      this.workers.push(worker);
    }
    this.holdProcess();
  }

  /** Workers keep the process alive exactly while a resize is pending: an idle pool never blocks its exit. */
  private holdProcess(): void {
    for (const worker of this.workers) {
      if (this.pending.size > 0) worker.ref();
      else worker.unref();
    }
  }

  resize(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, filter: PilFilter): Promise<Uint8Array> {
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    const copy = rgb.slice(); // the caller keeps its image; the copy's buffer moves to the worker
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.holdProcess();
      worker.postMessage({ id, rgb: copy, width, height, outWidth, outHeight, filter }, [copy.buffer]);
    });
  }

  private failAll(error: Error): void {
    for (const job of this.pending.values()) job.reject(new Error(`resize worker failed: ${error.message}`));
    this.pending.clear();
    this.holdProcess();
  }
}

let pool: ResizePool | undefined;

export function pilResize(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, filter: PilFilter): Promise<Uint8Array> {
  const threads = resizeThreads();
  if (threads === 0) return Promise.resolve(pilResizeRgb(rgb, width, height, outWidth, outHeight, filter));
  pool ??= new ResizePool(threads);
  return pool.resize(rgb, width, height, outWidth, outHeight, filter);
}
