import type { RegistryRecord } from "@fulcrum/core/control";
import { quantile } from "@fulcrum/core/stats";

/** Process starts remembered, so a later heartbeat of the same process is not taken for a start-up. */
const SEEN_KEPT = 4096;

/** Options of {@link StartupEstimate}. */
export interface StartupEstimateOptions {
  /** When the optimizer began watching the registry, unix ms: a replica without `readyMs` that started before it is not counted. */
  readonly watchStartedMs: number;
  /** Start-ups kept; the estimate is their median. @default 15 */
  readonly window?: number;
  /** Model load time of a variant, ms (the policy adds it to `replicaStartMs` itself). */
  readonly loadTimeMs: (variant: string) => number;
}

/**
 * What a new replica costs before it serves, learned from the registry: for each replica, the time
 * from its process start (`startedMs`) to turning ready (`readyMs`), less the variant's model load
 * time (which the policy prices separately). The median of the last `window` such start-ups is the
 * `replicaStartMs` a policy that prices actuation is told, instead of a guess: process start,
 * imports, NATS, model load and warm-up on the machine it runs on (3–4 s under `fulcrum up` here,
 * several more for a pod).
 *
 * A replica that does not report `readyMs` (an older or third-party stage) counts only if it
 * started after the optimizer began watching: its first heartbeat is written when it turns ready,
 * so the first record seen of it is that moment. No I/O and no clock: times come from the records.
 */
export class StartupEstimate {
  private readonly seen = new Set<string>();
  private readonly samples: number[] = [];
  private readonly window: number;

  constructor(private readonly o: StartupEstimateOptions) {
    this.window = o.window ?? 15;
    if (!Number.isInteger(this.window) || this.window < 1) throw new RangeError(`StartupEstimate window must be an integer ≥ 1, got ${this.window}`);
  }

  /** A registry entry (put or heartbeat). Returns the start-up it measured, ms, when this was one. */
  observe(r: RegistryRecord): number | undefined {
    // Keyed by process start too: an instance name reused by a restarted process is a new start-up.
    const key = `${r.stage}/${r.instance}@${r.startedMs}`;
    if (this.seen.has(key)) return undefined;
    this.seen.add(key);
    // Bounded: the oldest process starts go first (a Set iterates in insertion order). Not on
    // deregistration: a replica whose entry expired while NATS was away heartbeats again later, and
    // that must not count as a start-up as long as its process start.
    if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value!);
    let readyMs = r.readyMs;
    if (readyMs === undefined) {
      if (r.state !== "ready" || r.startedMs < this.o.watchStartedMs) return undefined;
      readyMs = r.heartbeatMs;
    }
    if (readyMs < r.startedMs) return undefined;
    const ms = Math.max(0, readyMs - r.startedMs - this.o.loadTimeMs(r.variant));
    this.samples.push(ms);
    if (this.samples.length > this.window) this.samples.shift();
    return ms;
  }

  /** Start-ups measured so far (at most `window`). */
  get count(): number {
    return this.samples.length;
  }

  /** Median of the kept start-ups, ms; undefined before the first. */
  get medianMs(): number | undefined {
    return this.samples.length === 0 ? undefined : quantile(this.samples, 0.5);
  }
}

/**
 * The policy config a decision runs with: a policy that prices actuation (`pricesActuation`) is
 * told the learned start-up as `replicaStartMs` (whole ms) unless its config sets one, since the
 * schema's default is a guess. Other policies, and a config without a learned value yet, run as
 * configured.
 */
export function withLearnedStartup(policyConfig: Readonly<Record<string, unknown>>, pricesActuation: boolean, learnedMs: number | undefined): Readonly<Record<string, unknown>> {
  if (!pricesActuation || learnedMs === undefined || policyConfig.replicaStartMs !== undefined) return policyConfig;
  return { ...policyConfig, replicaStartMs: Math.round(learnedMs) };
}
