import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The Grafana dashboard provisioned by docker-compose.yml. */
export const DASHBOARD_FILE = fileURLToPath(new URL("../../infra/grafana/dashboards/fulcrum.json", import.meta.url));

/**
 * Metrics the dashboard names that no service exports yet, with why. A query naming one is not
 * checked against Prometheus (it cannot return series); scripts/deploy/dashboard.test.ts fails once
 * a service exports it, so that it moves out of this list and gets checked. None today.
 */
export const PENDING_METRICS: Readonly<Record<string, string>> = {};

/**
 * Metrics the dashboard names that a Fulcrum process exports but that no process of the compose
 * deployment runs, with why: their queries return nothing there, so `npm run test:deploy` lists
 * them as skipped instead of checking them.
 */
export const NOT_IN_COMPOSE: Readonly<Record<string, string>> = {
  fulcrum_actuator_cold_starts_total: "exported by the reconciler (fulcrum up with elastic replicas, fulcrum reconcile on Kubernetes); compose runs a fixed set of stage replicas and no reconciler",
  fulcrum_actuator_cold_start_seconds: "exported by the reconciler (fulcrum up with elastic replicas, fulcrum reconcile on Kubernetes); compose runs a fixed set of stage replicas and no reconciler",
};

/** Why queries naming `metric` are not checked against compose's Prometheus; undefined when they are. */
export const uncheckedReason = (metric: string): string | undefined => PENDING_METRICS[metric] ?? NOT_IN_COMPOSE[metric];

/** One PromQL query of one panel. */
export interface DashboardQuery {
  readonly panel: string;
  readonly refId: string;
  /** As written in the dashboard (with Grafana variables). */
  readonly expr: string;
  /** Fulcrum metric names it reads (histogram suffixes removed). */
  readonly metrics: readonly string[];
  /** The subset of {@link metrics} not checked against compose's Prometheus ({@link PENDING_METRICS}, {@link NOT_IN_COMPOSE}). */
  readonly pending: readonly string[];
}

interface Panel {
  title?: string;
  targets?: Array<{ refId?: string; expr?: string }>;
  panels?: Panel[];
}

/** Fulcrum metric names in a PromQL expression (`_bucket`, `_sum`, `_count` map to the histogram). */
export function metricNames(expr: string): string[] {
  const names = (expr.match(/\bfulcrum_[a-z0-9_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, ""));
  return [...new Set(names)];
}

/**
 * The query Prometheus runs for `expr` with every pipeline selected: `$pipeline` becomes the
 * variable's "All" value and `$__rate_interval` one minute (twelve 5 s scrapes).
 */
export function instantiate(expr: string): string {
  return expr.replaceAll("$pipeline", ".+").replaceAll("$__rate_interval", "1m");
}

/** Every panel's queries, in dashboard order. Throws naming the panel if one has none. */
export function dashboardQueries(dashboard: unknown = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"))): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const visit = (panels: Panel[]): void => {
    for (const p of panels) {
      if (p.panels) visit(p.panels);
      if (!p.targets) continue;
      const title = p.title ?? "(untitled)";
      if (p.targets.length === 0) throw new Error(`dashboard panel "${title}" has no query`);
      for (const t of p.targets) {
        if (!t.expr) throw new Error(`dashboard panel "${title}" query ${t.refId ?? "?"} has no expr`);
        const metrics = metricNames(t.expr);
        out.push({ panel: title, refId: t.refId ?? "?", expr: t.expr, metrics, pending: metrics.filter((m) => uncheckedReason(m) !== undefined) });
      }
    }
  };
  visit((dashboard as { panels?: Panel[] }).panels ?? []);
  return out;
}
