// Which files hold a split. spec.dataset.splits names each role's split in the source; a name maps to `NAME.jsonl`
// first (memeops' own layout: train/validation/test.jsonl, what `memeops data synth` writes) and, failing that, to
// the files of the original Facebook release as the Hugging Face repo neuralcatcher/hateful_memes holds them
// (train.jsonl, dev_seen.jsonl, dev_unseen.jsonl, test_seen.jsonl, test_unseen.jsonl, img/). The hub's dataset
// viewer builds its `validation` split from dev_seen + dev_unseen (500 + 540 = 1040 rows, 640 unique ids) and its
// `test` split from test_seen + test_unseen (1000 + 2000): the same grouping is used here, so the counts agree with
// the hub's. A single file such as `dev_seen` can be chosen by naming it in spec.dataset.splits.
export const SPLIT_ROLES = ["train", "validation", "test"] as const;
export type SplitRole = (typeof SPLIT_ROLES)[number];

// The phase-1 release (before the unseen sets) had a single dev.jsonl: tried last.
const RELEASE_FILES: Record<string, string[][]> = {
  validation: [["dev_seen.jsonl", "dev_unseen.jsonl"], ["dev.jsonl"]],
  dev: [["dev_seen.jsonl", "dev_unseen.jsonl"]],
  test: [["test_seen.jsonl", "test_unseen.jsonl"]],
};

/** The file sets that may hold the split called `name`, in the order they are tried; a set counts only when
 * all its files exist. `folder`: spec.dataset.layout.annotations (HarMeme keeps its split files in annotations/). */
export function splitFileCandidates(name: string, folder?: string): string[][] {
  const sets = [[`${name}.jsonl`], ...(RELEASE_FILES[name] ?? [])];
  return folder ? sets.map((files) => files.map((f) => `${folder}/${f}`)) : sets;
}

/** Split file names must stay inside the dataset: no directories, no `..`. */
export function isSafeSplitName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) && !name.includes("..");
}
