// What the operator writes: a status patch only for what changed, whatever order the keys came back in.
import { describe, expect, it } from "vitest";
import { canonicalJson, topLevelMergePatch } from "../../../operator/kube/patch.ts";
import { resourceOf } from "../../../operator/kube/paths.ts";

describe("topLevelMergePatch", () => {
  it("is empty for the same status read back with its keys sorted (as the API server returns them)", () => {
    const written = { phase: "Pending", conditions: [{ type: "Ready", status: "False", reason: "PodPending", message: "m", lastTransitionTime: "t", observedGeneration: 1 }], jobs: [{ stage: "run", name: "e-run" }] };
    const readBack = JSON.parse(canonicalJson(written)!);
    expect(Object.keys(readBack.conditions[0])).toEqual(["lastTransitionTime", "message", "observedGeneration", "reason", "status", "type"]);
    expect(topLevelMergePatch(readBack, written)).toEqual({});
  });

  it("sets what changed and nulls what went, nothing else", () => {
    expect(topLevelMergePatch({ phase: "Pending", failure: { reason: "x" }, jobs: [1] }, { phase: "Training", jobs: [1] })).toEqual({ phase: "Training", failure: null });
    expect(topLevelMergePatch({ conditions: [{ a: 1, b: 2 }] }, { conditions: [{ b: 2, a: 2 }] })).toEqual({ conditions: [{ b: 2, a: 2 }] });
  });
});

describe("resourceOf", () => {
  it("names the resource and subresource a request writes", () => {
    expect(resourceOf("/apis/memeops.io/v1alpha1/namespaces/ns/memeexperiments/e/status")).toBe("memeexperiments/status");
    expect(resourceOf("/apis/memeops.io/v1alpha1/namespaces/ns/memeexperiments/e")).toBe("memeexperiments");
    expect(resourceOf("/apis/memeops.io/v1alpha1/memeexperiments?watch=1")).toBe("memeexperiments");
    expect(resourceOf("/api/v1/namespaces/ns/pods/p")).toBe("pods");
    expect(resourceOf("/api/v1/namespaces/ns/events")).toBe("events");
    expect(resourceOf("/apis/coordination.k8s.io/v1/namespaces/ns/leases/memeops-operator")).toBe("leases");
    expect(resourceOf("/api/v1/namespaces")).toBe("namespaces");
  });
});
