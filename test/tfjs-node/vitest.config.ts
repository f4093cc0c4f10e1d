// The "tfjs-node" project: the trainer on the real @tensorflow/tfjs-node CPU backend, which install.sh builds from
// registry packages (README.md). Paths are relative to the repository root (run from there):
//   npx vitest run --config test/tfjs-node/vitest.config.ts    (alone)
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "tfjs-node",
    include: ["test/tfjs-node/**/*.test.ts"],
    globalSetup: ["test/tfjs-node/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
