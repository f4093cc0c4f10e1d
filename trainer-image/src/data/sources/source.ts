// Every dataset source behind one interface: a set of files in the Hateful Memes layout (split files and `img/`),
// each made local on demand. Split reading, deduplication and image checks are written once, against this.
import type { DownloadCache } from "../download-cache.ts";
import type { Log } from "../log.ts";
import type { ProgressMeter } from "../progress.ts";

export interface DatasetSource {
  /** Where the data comes from, for messages: a URL or a path (never a credential). */
  readonly origin: string;
  /**
   * The local path of a file of the layout (`train.jsonl`, `img/01235.png`), downloaded or extracted if needed;
   * null when the source has no such file. Throws when the source cannot be reached.
   */
  file(relPath: string, progress?: ProgressMeter): Promise<string | null>;
  /** Where a file comes from, for a report line about it (a URL or a path). */
  locate(relPath: string): string;
  /** Facts worth a report line: the commit a branch resolved to, a fallback taken. */
  notes(): string[];
}

/** What sources share: the download cache under the storage path, and the log. */
export interface SourceContext {
  cache: DownloadCache;
  /** Directory for unpacked archives and generated data (under the storage path). */
  workDir: string;
  log: Log;
  env?: NodeJS.ProcessEnv;
}
