import { z } from "zod";
import { ExperimentConfigError } from "../errors.js";
import { paperFigure, type ExperimentSummary, type PolicySummary } from "./summary.js";

/**
 * A published direction, as data (`directions` of an entry in `experiments/paper-results.json`):
 * `policy` stands in `relation` to `comparator` on `metric`. `comparator` may end in `*` (every
 * policy with that prefix, e.g. `vpa-*`). Relations: `less`, `greater`, `atMost` (policy ≤
 * factor · comparator) and `fewerByFactor` (comparator ≥ factor · policy, and comparator > policy).
 * `scope`: checked on each pattern (`each-pattern`, the default) or once on the means over the
 * patterns (`mean`: a claim about the experiment as a whole); without patterns, once.
 */
const directionSchema = z.strictObject({
  name: z.string().min(1),
  policy: z.string().min(1),
  comparator: z.string().min(1),
  /** `cores` is compared as the papers count cost: the decided configuration's cores (see {@link DirectionCheck}). */
  metric: z.enum(["violations", "cores", "accuracy"]),
  relation: z.enum(["less", "greater", "atMost", "fewerByFactor"]),
  factor: z.number().positive().optional(),
  scope: z.enum(["each-pattern", "mean"]).default("each-pattern"),
}).refine((d) => (d.relation === "atMost" || d.relation === "fewerByFactor") === (d.factor !== undefined), { message: "factor is required by atMost and fewerByFactor, and only by them" });

/** One direction as read from the paper entry. */
export type Direction = z.infer<typeof directionSchema>;

/** The two figures a relation compares, and whether it holds. */
export interface DirectionOutcome {
  /** The policy's figure. */
  readonly value: number;
  /** The comparator's figure. */
  readonly comparatorValue: number;
  readonly holds: boolean;
}

/** One direction checked on one pattern (null: the means over the patterns, or an experiment without patterns) against one comparator. */
export interface DirectionCheck {
  readonly name: string;
  readonly pattern: string | null;
  readonly policy: string;
  readonly comparator: string;
  readonly metric: Direction["metric"];
  /**
   * Ours. For `cores`: the decided configuration's time-averaged cores (`meanDecidedCores`), which
   * is what the papers plot and report as cost (IPA: replicas × cores of each adaptation step's
   * configuration; InfAdapter: the cores of the adapter's current configuration), so a
   * make-before-break switch's overlap is not counted.
   */
  readonly ours: DirectionOutcome;
  /** `cores` only: ours with every allocated core counted (starting, draining and switching replicas too: `meanCores`). */
  readonly oursAllocated?: DirectionOutcome;
  /** The same relation on the paper's own figures, where it publishes both (IPA's per-pattern table). */
  readonly paper?: DirectionOutcome;
}

function relationHolds(d: Direction, value: number, comparatorValue: number): boolean {
  switch (d.relation) {
    case "less":
      return value < comparatorValue;
    case "greater":
      return value > comparatorValue;
    case "atMost":
      return value <= d.factor! * comparatorValue;
    case "fewerByFactor":
      return comparatorValue > value && comparatorValue >= d.factor! * value;
  }
}

const outcome = (d: Direction, value: number, comparatorValue: number): DirectionOutcome => ({ value, comparatorValue, holds: relationHolds(d, value, comparatorValue) });

function oursOf(p: PolicySummary, metric: Direction["metric"]): number {
  return metric === "violations" ? p.violations : metric === "accuracy" ? p.meanAccuracy : p.meanDecidedCores;
}

/** The paper's figure, where it publishes one: its tables hold cost (`meanCores`) and accuracy, never violations. */
function paperOf(paper: unknown, pattern: string | null, policy: string, metric: Direction["metric"]): number | undefined {
  return metric === "violations" ? undefined : paperFigure(paper, pattern ?? undefined, policy, metric === "cores" ? "meanCores" : "meanAccuracy");
}

/** The directions of a paper entry; none when it has no `directions`. Throws `ExperimentConfigError` naming every bad key. */
export function parseDirections(paper: unknown): Direction[] {
  const raw = (paper as { directions?: unknown } | null)?.directions;
  if (raw === undefined) return [];
  const r = z.array(directionSchema).safeParse(raw);
  if (!r.success) throw new ExperimentConfigError("paper-results directions", r.error.issues.map((i) => ({ key: `directions${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`, message: i.message })));
  return r.data;
}

/**
 * Every direction of the summary's paper entry, checked on our figures (per pattern when the
 * experiment has patterns) and, where the paper publishes both figures, on the paper's. A
 * comparator or policy the summary lacks is skipped: there is nothing to compare.
 */
export function checkDirections(s: ExperimentSummary): DirectionCheck[] {
  const directions = parseDirections(s.paper);
  const eachPattern: [string | null, Readonly<Record<string, PolicySummary>>][] = s.patterns ? Object.entries(s.patterns).map(([k, v]) => [k, v.policies]) : [[null, s.policies]];
  const out: DirectionCheck[] = [];
  for (const d of directions) {
    for (const [pattern, policies] of d.scope === "mean" ? [[null, s.policies] as const] : eachPattern) {
      const p = policies[d.policy];
      if (!p) continue;
      const comparators = d.comparator.endsWith("*") ? Object.keys(policies).filter((k) => k.startsWith(d.comparator.slice(0, -1)) && k !== d.policy) : [d.comparator];
      for (const c of comparators) {
        const q = policies[c];
        if (!q) continue;
        const pv = paperOf(s.paper, pattern, d.policy, d.metric);
        const pc = paperOf(s.paper, pattern, c, d.metric);
        out.push({
          name: d.name,
          pattern,
          policy: d.policy,
          comparator: c,
          metric: d.metric,
          ours: outcome(d, oursOf(p, d.metric), oursOf(q, d.metric)),
          ...(d.metric === "cores" ? { oursAllocated: outcome(d, p.meanCores, q.meanCores) } : {}),
          ...(pv !== undefined && pc !== undefined ? { paper: outcome(d, pv, pc) } : {}),
        });
      }
    }
  }
  return out;
}
