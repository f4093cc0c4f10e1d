// The sizes that bound a MemeSweep's spec and its status alike, in a module of their own so the status schema and
// the spec's size budget (sweep-status-budget.ts) can both read them without importing each other.
export const MAX_PARAMETERS = 20;
export const MAX_TRIALS = 500;
