import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@fulcrum/runtime";
import { POLICIES } from "@fulcrum/core/policies";
import { createHighsSolver } from "@fulcrum/solver";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { loadOptimizerConfig, resolveOptimizerConfig, toPolicyShape } from "./config.js";
import { buildPolicyInput } from "@fulcrum/core/control";

const examples = fileURLToPath(new URL("../examples/", import.meta.url));
const solver = createHighsSolver();
afterAll(() => solver.close());

describe("optimizer config", () => {
  it("loads the example config from a YAML file, resolving its specFile beside it", () => {
    const cfg = loadOptimizerConfig({ FULCRUM_OPTIMIZER_CONFIG: join(examples, "optimizer.yaml"), FULCRUM_OPTIMIZER_INTERVAL_MS: "2500" });
    expect(cfg.pipeline).toBe("video");
    expect(cfg.intervalMs).toBe(2500);
    expect(cfg.forecastMaxAgeMs).toBe(7500);
    // λ̂'s floor window defaults to the decision interval; 0 turns it off; negatives are refused.
    expect(cfg.observedFloorWindowMs).toBe(2500);
    expect(loadOptimizerConfig({ FULCRUM_OPTIMIZER_CONFIG: join(examples, "optimizer.yaml"), FULCRUM_OPTIMIZER_OBSERVED_FLOOR_WINDOW_MS: "0" }).observedFloorWindowMs).toBe(0);
    expect(() => loadOptimizerConfig({ FULCRUM_OPTIMIZER_CONFIG: join(examples, "optimizer.yaml"), FULCRUM_OPTIMIZER_OBSERVED_FLOOR_WINDOW_MS: "-1" })).toThrow(/observedFloorWindowMs/);
    expect(cfg.sloMs).toBe(1000);
    expect(cfg.spec.stages.map((s) => s.name)).toEqual(["detector", "classifier"]);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it.each(["ipa-video.yaml", "resnet.yaml", "resnet-local.yaml", "fashion.yaml"])("decides on the example spec %s with the fulcrum policy", async (file) => {
    const cfg = resolveOptimizerConfig({ pipeline: "p", specFile: join(examples, file), policy: "fulcrum", limits: { maxCores: 32 } });
    const shape = toPolicyShape(cfg.spec);
    const input = buildPolicyInput({ ...shape, pipeline: "p", sloMs: cfg.sloMs, limits: cfg.limits }, 40);
    const d = await POLICIES.fulcrum.decide(input, undefined, cfg.policyConfig, 0, { solver });
    expect(d.explanation.status).toBe("optimal");
    expect(d.explanation.admittedFraction).toBe(1);
    expect(d.stages.map((s) => s.stage)).toEqual(cfg.spec.stages.map((s) => s.name));
  });

  it("takes variants' perf models from a measured profile file (points of the statistic + Sponge fit)", () => {
    const c = resolveOptimizerConfig({ pipeline: "fashion", specFile: fileURLToPath(new URL("../examples/fashion.yaml", import.meta.url)) });
    const mlp = c.spec.stages[0]!.variants.find((v) => v.name === "mlp")!;
    expect(mlp.perf?.measured?.length).toBeGreaterThanOrEqual(4);
    expect(mlp.perf?.fit).toBeDefined();
    expect(toPolicyShape(c.spec).perf.latency("mlp", 1, 1).source).toBe("measured");
  });

  it("names the variant a profile lacks and a profile file it cannot read", () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-opt-profile-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const profile = fileURLToPath(new URL("../../../profiles/fashion.json", import.meta.url));
    const spec = (file: string) => ({ sloMs: 100, profile: { file }, stages: [{ name: "s", variants: [{ name: "resnet9", accuracy: 0.5 }] }] });
    writeFileSync(join(dir, "a.yaml"), JSON.stringify(spec(profile)));
    expect(() => resolveOptimizerConfig({ pipeline: "p", specFile: join(dir, "a.yaml") })).toThrow(/specFile\.stages\.0\.variants\.0\.name.*no variant "resnet9"/s);
    writeFileSync(join(dir, "b.yaml"), JSON.stringify(spec("missing.json")));
    expect(() => resolveOptimizerConfig({ pipeline: "p", specFile: join(dir, "b.yaml") })).toThrow(/specFile\.profile\.file.*cannot use profile .*missing\.json/s);
  });

  it("lists every problem at once: bad keys, bad policy config, bad spec", () => {
    const dir = mkdtempSync(join(tmpdir(), "opt-cfg-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const spec = join(dir, "spec.yaml");
    writeFileSync(spec, "stages:\n  - name: a\n    variants:\n      - { name: m, accuracy: 1.5, perf: {} }\nedges:\n  - [a, b]\n");
    let err: unknown;
    try {
      loadOptimizerConfig({
        FULCRUM_OPTIMIZER_PIPELINE: "bad pipe",
        FULCRUM_OPTIMIZER_SPEC_FILE: spec,
        FULCRUM_OPTIMIZER_POLICY_CONFIG: '{"shareUnits": 0}',
        FULCRUM_OPTIMIZER_INTERVAL_MS: "-1",
        FULCRUM_OPTIMIZER_BOGUS: "1",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = (err as ConfigError).issues.map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining(["FULCRUM_OPTIMIZER_BOGUS", "pipeline", "intervalMs", "policyConfig.shareUnits", "specFile.stages.0.variants.0.accuracy", "specFile.stages.0.variants.0.perf"]));
  });

  it("rejects an unknown edge endpoint, a duplicate variant name and a missing SLO", () => {
    const spec = {
      stages: [
        { name: "a", variants: [{ name: "m", accuracy: 0.5, perf: { fit: { gammaMs: 1, deltaMs: 0, epsilonMs: 0, etaMs: 0 } } }] },
        { name: "b", variants: [{ name: "m", accuracy: 0.5, perf: { fit: { gammaMs: 1, deltaMs: 0, epsilonMs: 0, etaMs: 0 } } }] },
      ],
      edges: [["a", "c"]],
    };
    expect(() => resolveOptimizerConfig({ pipeline: "p", spec })).toThrow(ConfigError);
    try {
      resolveOptimizerConfig({ pipeline: "p", spec });
    } catch (e) {
      const msgs = (e as ConfigError).issues.map((i) => `${i.key}: ${i.message}`);
      expect(msgs).toEqual(expect.arrayContaining([
        'spec.stages.1.variants.0.name: variant "m" also appears in stage "a": variant names must be unique in the pipeline',
        "spec.edges.0: edge a → c names an unknown stage",
        "sloMs: set sloMs here or in the pipeline spec",
      ]));
    }
  });
});
