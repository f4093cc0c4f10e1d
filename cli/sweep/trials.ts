// A sweep's trial i as a MemeExperiment: the template with the parameters set by path (api/v1alpha1/sweep-values.ts),
// named and labelled as the operator's trials (api/contract/sweep.ts), and parsed as any experiment is (a spec that does
// not parse is Infeasible).
import { parseMemeExperiment, type Problem } from "../../api/v1alpha1/parse.ts";
import type { MemeExperiment } from "../../api/v1alpha1/memeexperiment.ts";
import type { MemeSweep } from "../../api/v1alpha1/memesweep.ts";
import { withParameters } from "../../api/v1alpha1/sweep-values.ts";
import { SWEEP_LABEL, TRIAL_INDEX_LABEL, trialName } from "../../api/contract/sweep.ts";
import type { Params } from "../../search/index.ts";

/** A feasible trial: the parsed experiment and the document it was parsed from (what its file holds). */
export type TrialSpec = { ok: true; experiment: MemeExperiment; document: Record<string, unknown> } | { ok: false; problems: Problem[] };

export function trialExperiment(sweep: MemeSweep, index: number, params: Params): TrialSpec {
  const template = sweep.spec.trialTemplate;
  const document = {
    apiVersion: "memeops.io/v1alpha1",
    kind: "MemeExperiment",
    metadata: {
      name: trialName(sweep.metadata.name, index),
      ...(sweep.metadata.namespace && { namespace: sweep.metadata.namespace }),
      labels: { ...template.metadata?.labels, [SWEEP_LABEL]: sweep.metadata.name, [TRIAL_INDEX_LABEL]: String(index) },
      ...(template.metadata?.annotations && { annotations: template.metadata.annotations }),
    },
    spec: withParameters(template.spec, params),
  };
  const result = parseMemeExperiment(document);
  return result.ok ? { ok: true, experiment: result.value, document } : { ok: false, problems: result.problems };
}
