import { z } from "zod";

/** Config keys every policy shares. */
export const commonConfigShape = {
  /** Fraction of the SLO (and of per-request budgets) held back as safety margin, in [0, 1). @default 0 */
  sloMarginFraction: z.number().min(0).lt(1).default(0),
  /**
   * Scale-down hysteresis: a proposal with fewer cores is applied on the N-th consecutive decision
   * proposing it (1 = immediately). @default 1
   */
  scaleDownDelayIntervals: z.number().int().min(1).default(1),
  /** Solver wall-time limit per decision, ms. @default 2000 */
  solveTimeLimitMs: z.number().positive().default(2000),
};
