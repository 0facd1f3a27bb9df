import { generateIpaPattern, type IpaPattern } from "./ipa-patterns.js";

/** Where the per-second rates come from. */
export type RateProfile =
  | { readonly kind: "constant"; readonly rps: number; readonly durationS: number }
  | { readonly kind: "steps"; readonly steps: ReadonlyArray<{ readonly rps: number; readonly durationS: number }> }
  | { readonly kind: "ipa"; readonly pattern: IpaPattern; readonly seed: number; readonly scale: number }
  | { readonly kind: "series"; readonly rps: readonly number[]; readonly scale: number };


/**
 * The per-second rate series of a profile, cut to `maxDurationS` seconds. `ipa` uses the seeded
 * IPA workload patterns of `@fulcrum/core/workload` (20 min each) multiplied by `scale`.
 */
export function ratesOf(profile: RateProfile, maxDurationS: number): number[] {
  let rates: number[];
  switch (profile.kind) {
    case "constant":
      rates = Array.from({ length: Math.ceil(profile.durationS) }, () => profile.rps);
      break;
    case "steps":
      rates = profile.steps.flatMap((s) => Array.from({ length: Math.ceil(s.durationS) }, () => s.rps));
      break;
    case "ipa":
      rates = generateIpaPattern(profile.pattern, profile.seed).map((r) => r * profile.scale);
      break;
    case "series":
      rates = profile.rps.map((r) => r * profile.scale);
      break;
  }
  return rates.slice(0, Math.max(0, Math.floor(maxDurationS)));
}
