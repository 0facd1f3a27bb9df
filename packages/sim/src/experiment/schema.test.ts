import { describe, expect, it } from "vitest";
import { ExperimentConfigError } from "../errors.js";
import { smallExperiment } from "../testing/experiment-fixture.js";
import { parseExperiment, parseExperimentYaml } from "./schema.js";

function issuesOf(doc: unknown): string[] {
  try {
    parseExperiment(doc, "test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentConfigError);
    return (err as ExperimentConfigError).issues.map((i) => `${i.key}: ${i.message}`);
  }
  return [];
}

describe("experiment schema", () => {
  it("accepts a valid experiment and fills defaults", () => {
    const e = parseExperiment(smallExperiment(), "test.yaml");
    expect(e.seed).toBe(1);
    expect(e.replica).toEqual({ maxQueueDelayMs: 5, maxQueueSize: 1024, safetyMarginMs: 2 });
    expect(e.control.forecast).toEqual({ serve: "last-value", value: "point", marginFraction: 0, binS: 10, horizonS: 20 });
    expect(e.workload.patterns.flat).toEqual({ window: { segments: [[0, 120]], damping: 1 }, scale: 1 });
  });

  it("names the key of every problem", () => {
    const bad = smallExperiment({
      sloMs: -1,
      extra: true,
      defaultProfiles: "nope",
      policies: [
        { name: "ipa", policy: "ipa", config: { accuracyWeight: -2 } },
        { name: "ipa", policy: "fa2", initial: { detector: [{ variant: "resnet18", coresPerReplica: 1 }] } },
      ],
    });
    expect(issuesOf(bad)).toEqual(expect.arrayContaining([expect.stringMatching(/^sloMs: /), expect.stringMatching(/^\(root\): .*extra/)]));
    const cross = smallExperiment({
      defaultProfiles: "nope",
      profiles: { paper: { stages: { detector: { source: "measured", file: "profiles/yolo.json" }, other: { source: "measured", file: "x.json" } } } },
      policies: [
        { name: "ipa", policy: "ipa", config: { accuracyWeight: -2 } },
        { name: "ipa", policy: "fa2", initial: { detector: [{ variant: "resnet18", coresPerReplica: 1 }] } },
      ],
    });
    const issues = issuesOf(cross);
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/^defaultProfiles: no profile set "nope"/),
      expect.stringMatching(/^profiles\.paper\.stages: no profile for stage "classifier"/),
      expect.stringMatching(/^profiles\.paper\.stages\.other: not a pipeline stage/),
      expect.stringMatching(/^policies\[0\]\.config\.accuracyWeight: ipa: /),
      expect.stringMatching(/^policies\[1\]\.name: duplicate policy label "ipa"/),
      expect.stringMatching(/^policies\[1\]\.initial\.detector\[0\]\.variant: "resnet18" is not a variant of stage "detector"/),
    ]));
  });

  it("names unknown windows, sources and policies", () => {
    const issues = issuesOf(smallExperiment({
      workload: { trace: "twitter", patterns: { p: "ipa-sometimes" } },
      policies: [{ name: "x", policy: "magic" }],
    }));
    expect(issues.some((i) => i.startsWith("workload.patterns.p"))).toBe(true);
    expect(issues.some((i) => i.startsWith("policies[0].policy"))).toBe(true);
  });

  it("reports YAML that does not parse at the root", () => {
    expect(() => parseExperimentYaml("id: [unclosed", "broken.yaml")).toThrow(/broken\.yaml[\s\S]*\(root\): not valid YAML/);
  });
});
