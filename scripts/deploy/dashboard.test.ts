import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DASHBOARD_FILE, dashboardQueries, instantiate, metricNames, NOT_IN_COMPOSE, PENDING_METRICS } from "./dashboard.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every `"fulcrum_…"` string literal in the services' and packages' non-test sources: the metric names they can export. */
function exportedNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts") && !path.endsWith(".test.ts")) {
        for (const m of readFileSync(path, "utf8").matchAll(/"(fulcrum_[a-z0-9_]+)"/g)) names.add(m[1]!);
      }
    }
  };
  for (const parent of ["services", "packages"]) {
    for (const ws of readdirSync(join(ROOT, parent))) {
      const src = join(ROOT, parent, ws, "src");
      if (statSync(join(ROOT, parent, ws)).isDirectory() && readdirSync(join(ROOT, parent, ws)).includes("src")) walk(src);
    }
  }
  return names;
}

describe("Grafana dashboard (infra/grafana)", () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as { uid: string; panels: Array<{ id: number; title: string; datasource: { uid: string } }> };
  const queries = dashboardQueries(dashboard);

  it("covers what operators watch, one panel each", () => {
    expect(dashboard.panels.map((p) => p.title)).toEqual([
      "Load and forecast", "In-time share", "End-to-end latency p95 / p99", "Accuracy", "Cores per variant",
      "Replicas per variant", "Assignment versions", "Assignment acks", "Cold starts", "Shed requests",
    ]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it("reads the provisioned Prometheus datasource", () => {
    const ds = parseYaml(readFileSync(join(ROOT, "infra/grafana/provisioning/datasources/prometheus.yml"), "utf8")) as { datasources: Array<{ uid: string; url: string }> };
    expect(dashboard.panels.every((p) => p.datasource.uid === ds.datasources[0]!.uid)).toBe(true);
    expect(ds.datasources[0]!.url).toBe("http://prometheus:9090");
  });

  it("names only metrics a service exports, or ones listed as pending with a reason", () => {
    const exported = exportedNames();
    expect(exported.has("fulcrum_stage_variant_info")).toBe(true); // the scan itself works
    const unknown = queries.flatMap((q) => q.metrics.filter((m) => !exported.has(m) && !(m in PENDING_METRICS)).map((m) => `${q.panel} ${q.refId}: ${m}`));
    expect(unknown).toEqual([]);
  });

  it("no metric is pending any more; what compose cannot show is exported by the reconciler and on the dashboard", () => {
    expect(PENDING_METRICS).toEqual({});
    const exported = exportedNames();
    const named = new Set(queries.flatMap((q) => q.metrics));
    expect(Object.keys(NOT_IN_COMPOSE).sort()).toEqual(["fulcrum_actuator_cold_start_seconds", "fulcrum_actuator_cold_starts_total"]);
    for (const m of Object.keys(NOT_IN_COMPOSE)) {
      expect(exported.has(m), `${m} is not exported by any process`).toBe(true);
      expect(named.has(m), `${m} is on no panel`).toBe(true);
    }
    const checked = (panel: string) => queries.filter((q) => q.panel === panel && q.pending.length === 0).map((q) => q.refId);
    // The replicas the optimizer decides and the versions stages applied are checked by test:deploy now.
    expect(queries.find((q) => q.metrics.includes("fulcrum_optimizer_assigned_replicas"))!.pending).toEqual([]);
    expect(queries.find((q) => q.metrics.includes("fulcrum_stage_assignment_version"))!.pending).toEqual([]);
    expect(checked("Cold starts")).toEqual([]);
  });

  it("a pending metric is not exported yet (move it out of PENDING_METRICS once it is) and is on the dashboard", () => {
    const exported = exportedNames();
    const named = new Set(queries.flatMap((q) => q.metrics));
    for (const m of Object.keys(PENDING_METRICS)) {
      expect(exported.has(m), `${m} is exported now: remove it from PENDING_METRICS so test:deploy checks it`).toBe(false);
      expect(named.has(m), `${m} is pending but on no panel`).toBe(true);
    }
  });

  it("every panel has at least one query that test:deploy checks against Prometheus, except cold starts", () => {
    const checked = new Set(queries.filter((q) => q.pending.length === 0).map((q) => q.panel));
    expect(dashboard.panels.map((p) => p.title).filter((t) => !checked.has(t))).toEqual(["Cold starts"]);
  });

  it("instantiates Grafana variables into plain PromQL", () => {
    const q = 'sum by (pipeline) (rate(fulcrum_gateway_requests_total{pipeline=~"$pipeline"}[$__rate_interval]))';
    expect(instantiate(q)).toBe('sum by (pipeline) (rate(fulcrum_gateway_requests_total{pipeline=~".+"}[1m]))');
    expect(metricNames("histogram_quantile(0.99, rate(fulcrum_gateway_latency_seconds_bucket[1m])) / fulcrum_x_total")).toEqual(["fulcrum_gateway_latency_seconds", "fulcrum_x_total"]);
    expect(queries.every((q) => !instantiate(q.expr).includes("$"))).toBe(true);
  });
});
