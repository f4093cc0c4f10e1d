// The operator's models claim (--models-claim, the chart's models option) on the real control plane: every trainer
// Job it creates mounts the claim read-only at /models and tells the trainer so (the API server accepts the pod), and
// in a namespace without that claim the experiment says why it waits, naming the claim.
import { describe, expect, test } from "vitest";
import { kubectlJson, waitFor } from "../cluster/kubectl.ts";
import { apply, condition, experiment, getExperiment, operatorPerFile, type Obj } from "./operator-harness.ts";

const CLAIM = "memeops-models";
const env = operatorPerFile("memeops-models", { modelsClaim: CLAIM });

describe("--models-claim", () => {
  test("the Job mounts the claim read-only at /models with MEMEOPS_MODEL_DIR; without the claim the experiment names it", async () => {
    apply(experiment(env.ns, "resnet-default", { spec: { features: { extractor: "resnet", regions: 49 }, resources: { gpus: 0, cpu: "100m", memory: "64Mi" } } }));
    const job: Obj = await waitFor("the Job", () => kubectlJson(["get", "jobs", "-n", env.ns, "-l", "memeops.io/experiment=resnet-default"]).items[0]);
    const template = job.spec.template.spec;
    expect(template.volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: CLAIM, readOnly: true } });
    expect(template.containers[0].volumeMounts).toContainEqual({ name: "models", mountPath: "/models", readOnly: true });
    expect(template.containers[0].env).toContainEqual({ name: "MEMEOPS_MODEL_DIR", value: "/models" });
    // the spec the trainer gets names no model file: it takes the extractor's default from /models
    const spec = JSON.parse(template.containers[0].env.find((e: Obj) => e.name === "MEMEOPS_EXPERIMENT").value).spec;
    expect(spec.features).toMatchObject({ extractor: "resnet" });
    expect(spec.features.model).toBeUndefined();
    // the Job controller's pod passed the API server's validation with the volume
    const pod: Obj = await waitFor("the pod", () => kubectlJson(["get", "pods", "-n", env.ns, "-l", "memeops.io/experiment=resnet-default"]).items[0]);
    expect(pod.spec.volumes).toContainEqual({ name: "models", persistentVolumeClaim: { claimName: CLAIM, readOnly: true } });
    // no claim of that name here (a namespace the chart did not fill): the scheduler's reason reaches the status
    const waiting = await waitFor("the experiment names the missing claim", () => {
      const ready = condition(getExperiment(env.ns, "resnet-default"), "Ready");
      return ready?.status === "False" && ready.message?.includes(CLAIM) ? ready : undefined;
    });
    expect(waiting.reason).toBe("Unschedulable");
    expect(waiting.message).toMatch(/persistentvolumeclaim "memeops-models" not found/);
  });
});
