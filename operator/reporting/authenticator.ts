// Who is reporting: the API server's TokenReview says which pod a projected service-account token (audience
// "memeops") was issued to. Answers are cached briefly so a chatty trainer costs one TokenReview a minute.
import { createHash } from "node:crypto";
import type { KubeClient } from "../kube/client.ts";
import { paths } from "../kube/paths.ts";
import { REPORT_AUDIENCE } from "../builders/job.ts";

export interface PodIdentity {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podUid: string;
}

interface TokenReview {
  status?: { authenticated?: boolean; error?: string; audiences?: string[]; user?: { username?: string; extra?: Record<string, string[]> } };
}

export class TokenAuthenticator {
  private readonly cache = new Map<string, { id: PodIdentity; until: number }>();

  constructor(private readonly client: KubeClient, private readonly ttlMs = 60_000) {}

  /** The pod behind the token, or a reason why there is none. */
  async authenticate(token: string): Promise<PodIdentity | { error: string }> {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.id;
    const review = await this.client.request<TokenReview>("POST", paths.tokenReviews(), {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences: [REPORT_AUDIENCE] } },
    });
    const s = review.status;
    if (!s?.authenticated) return { error: `token not accepted: ${s?.error ?? "unauthenticated"}` };
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(s.user?.username ?? "");
    const podName = s.user?.extra?.["authentication.kubernetes.io/pod-name"]?.[0];
    const podUid = s.user?.extra?.["authentication.kubernetes.io/pod-uid"]?.[0];
    if (!m || !podName || !podUid) return { error: "the token is not a service-account token bound to a pod" };
    const id = { namespace: m[1] ?? "", serviceAccount: m[2] ?? "", podName, podUid };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { id, until: Date.now() + this.ttlMs });
    return id;
  }
}
