/** Where refusals are logged (a pino logger fits). */
export interface RefusalLogger {
  warn(context: Record<string, unknown>, message: string): void;
}

/**
 * Control-plane messages a consumer refused (malformed, beyond its bounds, of another pipeline),
 * counted per message kind and field. Each refusal is logged at warn level naming the field; after
 * the first of a (kind, field), only every 100th is, so a flood cannot flood the logs too.
 */
export class Refusals {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger?: RefusalLogger) {}

  /** Counts and logs one refused message; `what` names the message (`GatewayMetrics`, `Forecast`…). */
  record(what: string, err: unknown, context: Readonly<Record<string, unknown>> = {}): void {
    const field = (err as { field?: unknown }).field;
    const key = `${what}\t${typeof field === "string" ? field : ""}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n === 1 || n % 100 === 0) {
      this.logger?.warn({ ...context, err, ...(typeof field === "string" ? { field } : {}), refusals: n }, `refused ${what}: ${(err as Error).message ?? String(err)}`);
    }
  }

  /** Refusals so far, per message kind and field (`""` when the error named none). */
  snapshot(): Array<{ what: string; field: string; count: number }> {
    return [...this.counts].map(([k, count]) => {
      const [what = "", field = ""] = k.split("\t");
      return { what, field, count };
    });
  }

  /** Refusals of one message kind (all kinds when omitted). */
  total(what?: string): number {
    let n = 0;
    for (const r of this.snapshot()) if (what === undefined || r.what === what) n += r.count;
    return n;
  }
}
