import { defineConfig } from "vitest/config";

// Four projects, so a unit run needs no servers:
//  - unit: pure code, fakes allowed;
//  - cluster: against the real control plane that test/cluster/global-setup.ts starts (or reuses);
//  - e2e: the cluster's, with the trainer really running (test/e2e/README.md);
//  - mlflow: against a real MLflow server that test/mlflow/global-setup.ts starts.
export default defineConfig({
  test: {
    // 2 cores, and the cluster and MLflow tests share one server each: files run one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts", "test/operator/**/*.test.ts", "test/chart/**/*.test.ts"],
          globalSetup: ["test/cluster/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        test: {
          // The real trainer of each experiment runs as a local process (test/e2e/pod-runner.ts): minutes per test.
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/cluster/global-setup.ts"],
          testTimeout: 1_200_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        test: {
          name: "mlflow",
          include: ["test/mlflow/**/*.test.ts"],
          globalSetup: ["test/mlflow/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
