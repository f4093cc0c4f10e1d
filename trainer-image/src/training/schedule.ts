// Learning rate: linear warmup to the peak, then linear decay to 0 at the last step (BERT / HF
// get_linear_schedule_with_warmup), except that step 0 already gets peak/warmup instead of 0 (no wasted step).
export function learningRateAt(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  return peak * Math.max(0, (totalSteps - step) / decaySteps);
}
