// The informer's secondary index (what the Workloads informer finds a Job's Workloads by): kept right through adds,
// updates that move an object to another index value, deletes, and a re-list that finds objects gone. Its transform:
// what the Workloads informer keeps of each Workload. A fake client
// plays the list and the watch stream; the test hands it each event.
import { describe, expect, it } from "vitest";
import type { KubeClient, WatchEvent } from "../../../operator/kube/client.ts";
import { Informer, type KubeObject } from "../../../operator/kube/informer.ts";
import { keptWorkload, ownerJobUids, type WorkloadObject } from "../../../operator/kube/workloads.ts";
import type { Logger } from "../../../api/contract/log.ts";

const log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const obj = (name: string, owner: string, rv: string): KubeObject => ({ metadata: { name, namespace: "ns", resourceVersion: rv, labels: { owner } } });

function fakeClient(lists: KubeObject[][]) {
  let send: ((e: WatchEvent<KubeObject>) => void) | undefined;
  const client = {
    request: async () => ({ items: lists.shift() ?? [], metadata: { resourceVersion: "1" } }),
    // as the real client: an event the handler refuses (an ERROR event) ends the watch with that error
    watch: (_path: string, _q: unknown, onEvent: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        send = (e) => {
          try {
            onEvent(e);
          } catch (err) {
            reject(err);
          }
        };
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  const until = async (cond: () => boolean) => {
    // waits for the informer's own steps (its re-list comes after a 200 ms backoff); generous for a loaded machine
    for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };
  return { client: client as unknown as KubeClient, send: (e: WatchEvent<KubeObject>) => send!(e), watching: () => !!send, until };
}

describe("Informer indexBy", () => {
  it("finds objects by index value through add, update, delete and re-list", async () => {
    const f = fakeClient([[obj("a", "job-1", "1"), obj("b", "job-1", "1")], [obj("b", "job-2", "5")]]);
    const inf = new Informer<KubeObject>(f.client, { name: "t", paths: ["/apis/x/v1/namespaces/ns/things"], indexBy: (o) => [o.metadata.labels!.owner!], log });
    inf.start();
    try {
      await f.until(() => inf.hasSynced());
      const names = (v: string) => inf.byIndex(v).map((o) => o.metadata.name).sort();
      expect(names("job-1")).toEqual(["a", "b"]);
      await f.until(() => f.watching());
      f.send({ type: "MODIFIED", object: obj("a", "job-2", "2") });
      expect(names("job-1")).toEqual(["b"]);
      expect(names("job-2")).toEqual(["a"]);
      f.send({ type: "DELETED", object: obj("a", "job-2", "3") });
      expect(names("job-2")).toEqual([]);
      f.send({ type: "ADDED", object: obj("c", "job-3", "4") });
      expect(names("job-3")).toEqual(["c"]);
      // the watch expires (410): the re-list has only b, now under job-2; c vanished meanwhile
      f.send({ type: "ERROR", object: { code: 410, message: "too old" } as unknown as KubeObject });
      await f.until(() => names("job-2").length === 1 && names("job-3").length === 0);
      expect(names("job-1")).toEqual([]);
      expect(names("job-2")).toEqual(["b"]);
      expect(inf.size).toBe(1);
    } finally {
      inf.stop();
    }
  });
});

describe("Informer transform", () => {
  /** A Workload as Kueue writes it: podSets carry the Job's pod template (env included), the admission its flavors. */
  const workload = (rv: string, reason: string) => ({
    apiVersion: "kueue.x-k8s.io/v1beta1",
    kind: "Workload",
    metadata: { name: "job-x-1", namespace: "ns", resourceVersion: rv, labels: { "kueue.x-k8s.io/job-uid": "uid-1" }, managedFields: [{ manager: "kueue" }] },
    spec: { active: true, queueName: "q", podSets: [{ name: "main", count: 1, template: { spec: { containers: [{ name: "trainer", env: [{ name: "TOKEN", value: "x".repeat(4096) }] }] } } }] },
    status: { conditions: [{ type: "QuotaReserved", status: "False", reason }], admission: { clusterQueue: "cq", podSetAssignments: [{ name: "main", flavors: { "nvidia.com/gpu": "f" } }] } },
  });

  it("keeps what the operator reads of a Workload, from the list and from every watch event, and nothing else", async () => {
    const f = fakeClient([[workload("1", "Pending") as unknown as KubeObject]]);
    const inf = new Informer<WorkloadObject>(f.client, { name: "workloads", paths: ["/apis/kueue.x-k8s.io/v1beta1/namespaces/ns/workloads"], indexBy: ownerJobUids, transform: keptWorkload, log });
    const seen: WorkloadObject[] = [];
    inf.on((_type, o) => seen.push(o));
    inf.start();
    try {
      await f.until(() => inf.hasSynced());
      await f.until(() => f.watching());
      f.send({ type: "MODIFIED", object: workload("2", "Preempted") as unknown as KubeObject });
      const cached = inf.byIndex("uid-1");
      expect(cached).toHaveLength(1);
      for (const o of [...cached, ...seen]) {
        const text = JSON.stringify(o);
        expect(text).not.toContain("podSets");
        expect(text).not.toContain("TOKEN");
        expect(text).not.toContain("podSetAssignments");
        expect(text).not.toContain("managedFields");
      }
      expect(cached[0]).toMatchObject({ metadata: { resourceVersion: "2" }, spec: { active: true, queueName: "q" }, status: { conditions: [{ reason: "Preempted" }], admission: { clusterQueue: "cq" } } });
      expect(seen.map((o) => o.status?.conditions?.[0]?.reason)).toEqual(["Pending", "Preempted"]);
    } finally {
      inf.stop();
    }
  });
});
