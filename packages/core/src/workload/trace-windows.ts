import { WorkloadOptionsError } from "./errors.js";

/**
 * A window of a per-second trace: consecutive index ranges, concatenated, each count divided by
 * `damping` and truncated to an integer, as IPA's load generator does (`int(count / damping)`).
 */
export interface TraceWindow {
  /** `[start, end)` second indices into the trace, concatenated in order. */
  readonly segments: ReadonlyArray<readonly [start: number, end: number]>;
  /** Every count is divided by this and truncated (IPA's "damping factor"); 1 keeps the counts. */
  readonly damping: number;
}

/** IPA's damping of the Twitter trace: every count becomes `int(count / 8)`, in its load generator and in its LSTM's training data. */
export const IPA_DAMPING = 8;

/**
 * The Twitter trace's first 15 days (seconds `[0, 1_296_000)`): what forecasters train on. The rest,
 * ≈ 7 days holding every window of {@link TWITTER_WINDOWS}, is held out to judge them (IPA trains on
 * the first 14 days and draws its patterns from day 15 on).
 */
export const TWITTER_TRAIN_SECONDS = 15 * 86_400;

/**
 * The Twitter-trace windows the papers replay (see `data/twitter-trace/README.md`): IPA's four
 * 1200 s patterns with damping 8, and InfAdapter's 1260 s experiment window undamped.
 */
export const TWITTER_WINDOWS = {
  "ipa-bursty": { segments: [[1_301_160, 1_302_360]], damping: IPA_DAMPING },
  "ipa-steady-low": { segments: [[1_299_600, 1_300_800]], damping: IPA_DAMPING },
  "ipa-steady-high": { segments: [[1_768_800, 1_769_400], [1_768_800, 1_769_400]], damping: IPA_DAMPING },
  "ipa-fluctuating": { segments: [[1_301_400, 1_302_000], [1_308_600, 1_309_200]], damping: IPA_DAMPING },
  infadapter: { segments: [[1_300_920, 1_302_180]], damping: 1 },
} as const satisfies Record<string, TraceWindow>;

/** Name of one of {@link TWITTER_WINDOWS}. */
export type TwitterWindowName = keyof typeof TWITTER_WINDOWS;

/** Cuts `window` out of a per-second `trace` (rps per second). Throws naming a segment outside the trace. */
export function sliceTraceWindow(trace: readonly number[], window: TraceWindow): number[] {
  if (!(window.damping > 0)) throw new WorkloadOptionsError("damping", `must be > 0, got ${window.damping}`);
  const out: number[] = [];
  window.segments.forEach(([start, end], i) => {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start && end <= trace.length)) {
      throw new WorkloadOptionsError(`segments[${i}]`, `[${start}, ${end}) is not a non-empty range within the trace's ${trace.length} seconds`);
    }
    for (let t = start; t < end; t++) out.push(Math.trunc(trace[t]! / window.damping));
  });
  return out;
}
