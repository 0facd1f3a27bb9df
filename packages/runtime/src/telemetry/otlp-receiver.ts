import { appendFileSync } from "node:fs";
import { listenHttp } from "../http/listen.js";
import { createServer } from "node:http";

/** A span as received over OTLP/HTTP JSON, flattened. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly durationMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Port; 0 picks a free one. 4318 is the OTLP/HTTP default. */
  readonly port: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Append each span as a JSON line to this file. */
  readonly jsonlPath?: string;
  /**
   * Spans kept in memory (oldest dropped first).
   * @default 100000
   */
  readonly maxSpans?: number;
}

/** A running receiver. */
export interface OtlpReceiverHandle {
  readonly port: number;
  /** Spans received so far. */
  spans(): readonly ReceivedSpan[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };

/**
 * A minimal OTLP/HTTP **JSON** trace receiver (`POST /v1/traces`): the dev collector for machines
 * without Jaeger, and the span sink of cross-process tests. Protobuf payloads are refused with 415.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<OtlpReceiverHandle> {
  const spans: ReceivedSpan[] = [];
  const max = options.maxSpans ?? 100_000;
  const server = createServer((req, res) => {
    if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== "/v1/traces") {
      res.writeHead(404).end();
      return;
    }
    if (!(req.headers["content-type"] ?? "").includes("json")) {
      res.writeHead(415, { "content-type": "text/plain" }).end("only OTLP/HTTP JSON is accepted\n");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans?: Array<{
            resource?: { attributes?: Array<{ key: string; value: AnyValue }> };
            scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
          }>;
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attr(rs.resource?.attributes, "service.name") ?? "");
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const span: ReceivedSpan = {
                service,
                traceId: String(s.traceId ?? ""),
                spanId: String(s.spanId ?? ""),
                parentSpanId: String(s.parentSpanId ?? ""),
                name: String(s.name ?? ""),
                kind: Number(s.kind ?? 0),
                durationMs: (Number(s.endTimeUnixNano ?? 0) - Number(s.startTimeUnixNano ?? 0)) / 1e6,
                attributes: Object.fromEntries(((s.attributes as Array<{ key: string; value: AnyValue }>) ?? []).map((a) => [a.key, value(a.value)])),
              };
              spans.push(span);
              if (spans.length > max) spans.shift();
              if (options.jsonlPath) appendFileSync(options.jsonlPath, `${JSON.stringify(span)}\n`);
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch (err) {
        res.writeHead(400, { "content-type": "text/plain" }).end(`bad OTLP JSON: ${(err as Error).message}\n`);
      }
    });
  });
  const listening = await listenHttp(server, options.port, options.host);
  return {
    port: listening.port,
    spans: () => spans,
    close: listening.close,
  };
}

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

function attr(list: Array<{ key: string; value: AnyValue }> | undefined, key: string): unknown {
  return value(list?.find((a) => a.key === key)?.value);
}
