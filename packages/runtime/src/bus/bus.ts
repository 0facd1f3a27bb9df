import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude, type KV } from "@nats-io/kv";
import { KV_BUCKET_SPECS, type KvBucketSpec } from "@fulcrum/proto";
import {
  connect,
  headers as natsHeaders,
  type MsgHdrs,
  type NatsConnection,
  NoRespondersError as NatsNoResponders,
  RequestError,
  PermissionViolationError,
  TimeoutError,
} from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Codec } from "./codec.js";
import { BusConnectError, DecodeError, KvConflictError, NoRespondersError, RequestTimeoutError } from "./errors.js";
import { extractTraceContext, injectTraceHeaders, type HeaderCarrier } from "../telemetry/trace-headers.js";

const tracer = trace.getTracer("@fulcrum/runtime/bus");

/** Options of {@link connectBus}. */
export interface BusOptions {
  /** Longest `drain()` before the connection is closed instead (NATS may be away at shutdown), ms. @default 2000 */
  readonly drainTimeoutMs?: number;
  /** NATS server URL(s), comma-separated (`nats://127.0.0.1:4222`). */
  readonly servers: string;
  /** Connection name shown by the server (service and instance). */
  readonly name: string;
  readonly logger?: Logger;
  /**
   * Wait between reconnect attempts, ms. Reconnects forever: services keep serving on their last
   * assignment while NATS is away (docs/architecture.md#control-plane).
   * @default 1000
   */
  readonly reconnectTimeWaitMs?: number;
  /**
   * Time allowed for the first connection, ms.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /** The NATS user this service connects as (`infra/nats.conf` has one per service); absent: none. */
  readonly auth?: { readonly user: string; readonly password: string };
  /**
   * TLS: the CA to verify the server with, and a client certificate and key for a server that
   * verifies clients (PEM files). Present: the connection must be TLS.
   */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

/** What a subscriber sees besides the decoded payload. */
export interface MessageMeta {
  readonly subject: string;
  readonly headers?: MsgHdrs;
}

/** A live subscription or watch; `stop()` is idempotent. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Options of {@link Bus.subscribe}. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  readonly queue?: string;
}

/** The latest entry under a key, with the revision compare-and-set writes name. */
export interface KvEntry<T> {
  /** Revision of the entry (the bucket stream's sequence number). */
  readonly revision: number;
  /** The decoded value; undefined when it could not be decoded (counted and logged like any bad payload). */
  readonly value: T | undefined;
}

/** A typed view of one JetStream KV bucket. */
export interface TypedKv {
  readonly bucket: string;
  /** The latest value under `key`, or undefined if none (or deleted). */
  get<T>(key: string, codec: Codec<T>): Promise<T | undefined>;
  /** The latest entry under `key` with its revision, or undefined if none (or deleted). */
  entry<T>(key: string, codec: Codec<T>): Promise<KvEntry<T> | undefined>;
  /** Stores `message` under `key`; returns the new revision. */
  put<T>(key: string, codec: Codec<T>, message: T): Promise<number>;
  /**
   * Compare-and-set: stores `message` under `key` only if the key's latest revision is still
   * `expectedRevision` (undefined: only if the key has no value). Returns the new revision; rejects
   * with {@link KvConflictError} when someone else wrote the key in between.
   */
  update<T>(key: string, codec: Codec<T>, message: T, expectedRevision: number | undefined): Promise<number>;
  /** Deletes `key`. */
  delete(key: string): Promise<void>;
  /**
   * Calls `handler` for the current value of every matching key (unless `updatesOnly`) and then
   * for every update; deletions call it with `undefined`.
   */
  watch<T>(
    key: string,
    codec: Codec<T>,
    handler: (value: T | undefined, key: string, revision: number) => void | Promise<void>,
    options?: { updatesOnly?: boolean },
  ): Promise<Stoppable>;
}

/**
 * Fulcrum's NATS adapter: typed protobuf publish/subscribe/request, KV buckets, and trace context
 * carried in message headers (a PRODUCER span per publish, a CONSUMER span per delivery, child of
 * the publisher's span).
 */
export interface Bus {
  publish<T>(subject: string, codec: Codec<T>, message: T): void;
  /** Whether the connection to NATS is up now (false between a disconnect and the reconnect). */
  readonly connected: boolean;
  /**
   * Publishes bytes that need not be a valid message, without trace headers: for fault injection
   * and conformance tools that must send what a broken or hostile peer would.
   */
  publishRaw(subject: string, payload: Uint8Array): void;
  /** Resolves once the server has processed everything published and subscribed so far (a round trip). */
  flush(): Promise<void>;
  subscribe<T>(
    subject: string,
    codec: Codec<T>,
    handler: (message: T, meta: MessageMeta) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Stoppable;
  /** Request/reply. Rejects with {@link NoRespondersError} or {@link RequestTimeoutError}. */
  request<Req, Res>(subject: string, reqCodec: Codec<Req>, message: Req, resCodec: Codec<Res>, options?: { timeoutMs?: number }): Promise<Res>;
  /** Answers requests on `subject` with `handler`'s result. */
  serve<Req, Res>(subject: string, reqCodec: Codec<Req>, resCodec: Codec<Res>, handler: (request: Req, meta: MessageMeta) => Res | Promise<Res>, options?: SubscribeOptions): Stoppable;
  /**
   * Opens a KV bucket, creating it if missing. A bucket of `KV_BUCKET_SPECS` gets that retention
   * (an existing bucket's max age is brought in line, so every service agrees on the registry's TTL);
   * another bucket keeps `history` values per key (default 5) and never expires.
   */
  kv(bucket: string, options?: { history?: number }): Promise<TypedKv>;
  /** Messages dropped because they could not be decoded, per subject. */
  readonly decodeFailures: ReadonlyMap<string, number>;
  /**
   * Operations the server refused for lack of permission, per `publish <subject>` or
   * `subscription <subject>` (the service's NATS user may not do it; see `infra/nats.conf`).
   */
  readonly permissionDenials: ReadonlyMap<string, number>;
  /**
   * Flushes pending publishes and closes after in-flight handlers finish, within `drainTimeoutMs`;
   * while disconnected it closes at once (nothing can be flushed); idempotent.
   */
  drain(): Promise<void>;
}

class NatsHeaderCarrier implements HeaderCarrier {
  constructor(readonly headers: MsgHdrs) {}
  get(key: string): string | undefined {
    return this.headers.has(key) ? this.headers.get(key) : undefined;
  }
  set(key: string, value: string): void {
    this.headers.set(key, value);
  }
}

/** Connects to NATS; rejects with {@link BusConnectError} if the first connection fails. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers.split(",").map((s) => s.trim()),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
      timeout: options.connectTimeoutMs ?? 5000,
      ...(options.auth ? { user: options.auth.user, pass: options.auth.password } : {}),
      ...(options.tls ? { tls: { ...options.tls } } : {}),
    });
  } catch (cause) {
    throw new BusConnectError(options.servers, { cause });
  }
  return new NatsBus(nc, options.logger, options.drainTimeoutMs);
}

class NatsBus implements Bus {
  readonly decodeFailures = new Map<string, number>();
  readonly permissionDenials = new Map<string, number>();
  private readonly kvm: Kvm;
  private drained: Promise<void> | undefined;
  private up = true;

  constructor(
    private readonly connection: NatsConnection,
    private readonly logger?: Logger,
    private readonly drainTimeoutMs = 2000,
  ) {
    this.kvm = new Kvm(connection);
    void (async () => {
      for await (const s of connection.status()) {
        if (s.type === "disconnect") this.up = false;
        if (s.type === "reconnect") this.up = true;
        if (s.type === "error" && s.error instanceof PermissionViolationError) {
          const what = `${s.error.operation} ${s.error.subject}`;
          const n = (this.permissionDenials.get(what) ?? 0) + 1;
          this.permissionDenials.set(what, n);
          // The first denial of each operation is logged, then every 100th: a loop must not flood logs.
          if (n === 1 || n % 100 === 0) this.logger?.error({ operation: s.error.operation, subject: s.error.subject, denials: n }, `NATS permission denied: this service's user may not ${s.error.operation === "publish" ? "publish to" : "subscribe to"} ${s.error.subject}`);
          continue;
        }
        if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
          this.logger?.warn({ nats: s.type, server: "server" in s ? s.server : undefined, ...(s.type === "error" ? { err: s.error } : {}) }, `nats ${s.type}`);
        }
      }
    })().catch(() => {});
  }

  get connected(): boolean {
    return this.up && !this.connection.isClosed();
  }

  publishRaw(subject: string, payload: Uint8Array): void {
    this.connection.publish(subject, payload);
  }

  flush(): Promise<void> {
    return this.connection.flush();
  }

  publish<T>(subject: string, codec: Codec<T>, message: T): void {
    const span = tracer.startSpan(`publish ${subject}`, {
      kind: SpanKind.PRODUCER,
      attributes: { "messaging.system": "nats", "messaging.destination.name": subject, "messaging.operation.type": "publish" },
    });
    try {
      const h = natsHeaders();
      injectTraceHeaders(new NatsHeaderCarrier(h), trace.setSpan(context.active(), span));
      this.connection.publish(subject, codec.encode(message).finish(), { headers: h });
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  }

  subscribe<T>(
    subject: string,
    codec: Codec<T>,
    handler: (message: T, meta: MessageMeta) => void | Promise<void>,
    options: SubscribeOptions = {},
  ): Stoppable {
    const sub = this.connection.subscribe(subject, options.queue ? { queue: options.queue } : {});
    const done = (async () => {
      for await (const msg of sub) {
        const decoded = this.decode(msg.subject, codec, msg.data);
        if (decoded === undefined) continue;
        await this.consume(msg.subject, msg.headers, async () => handler(decoded.value, { subject: msg.subject, headers: msg.headers }));
      }
    })();
    return {
      stop: async () => {
        if (!sub.isClosed()) sub.unsubscribe();
        await done.catch(() => {});
      },
    };
  }

  async request<Req, Res>(subject: string, reqCodec: Codec<Req>, message: Req, resCodec: Codec<Res>, options: { timeoutMs?: number } = {}): Promise<Res> {
    const timeoutMs = options.timeoutMs ?? 2000;
    return tracer.startActiveSpan(`request ${subject}`, { kind: SpanKind.CLIENT, attributes: { "messaging.system": "nats", "messaging.destination.name": subject } }, async (span) => {
      try {
        const h = natsHeaders();
        injectTraceHeaders(new NatsHeaderCarrier(h));
        const reply = await this.connection.request(subject, reqCodec.encode(message).finish(), { timeout: timeoutMs, headers: h });
        const decoded = this.decode(subject, resCodec, reply.data);
        if (decoded === undefined) throw new DecodeError(subject);
        return decoded.value;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw mapRequestError(subject, timeoutMs, err);
      } finally {
        span.end();
      }
    });
  }

  serve<Req, Res>(subject: string, reqCodec: Codec<Req>, resCodec: Codec<Res>, handler: (request: Req, meta: MessageMeta) => Res | Promise<Res>, options: SubscribeOptions = {}): Stoppable {
    const sub = this.connection.subscribe(subject, options.queue ? { queue: options.queue } : {});
    const done = (async () => {
      for await (const msg of sub) {
        const decoded = this.decode(msg.subject, reqCodec, msg.data);
        if (decoded === undefined) continue;
        await this.consume(msg.subject, msg.headers, async () => {
          const res = await handler(decoded.value, { subject: msg.subject, headers: msg.headers });
          msg.respond(resCodec.encode(res).finish());
        });
      }
    })();
    return {
      stop: async () => {
        if (!sub.isClosed()) sub.unsubscribe();
        await done.catch(() => {});
      },
    };
  }

  async kv(bucket: string, options: { history?: number } = {}): Promise<TypedKv> {
    const spec: KvBucketSpec = (KV_BUCKET_SPECS as Readonly<Record<string, KvBucketSpec>>)[bucket] ?? { history: options.history ?? 5, maxAgeMs: 0 };
    const kv = await this.kvm.create(bucket, { history: spec.history, ...(spec.maxAgeMs > 0 ? { ttl: spec.maxAgeMs } : {}) });
    if (spec.maxAgeMs > 0) await this.alignMaxAge(bucket, spec.maxAgeMs);
    return new NatsKv(bucket, kv, this);
  }

  /** `Kvm.create` binds to an existing bucket as it is; a bucket created without the TTL gets it here. */
  private async alignMaxAge(bucket: string, maxAgeMs: number): Promise<void> {
    const jsm = await jetstreamManager(this.connection);
    const stream = `KV_${bucket}`;
    const info = await jsm.streams.info(stream);
    const maxAgeNs = maxAgeMs * 1e6;
    if (info.config.max_age === maxAgeNs) return;
    // JetStream requires the duplicates window to fit within the max age.
    await jsm.streams.update(stream, { max_age: maxAgeNs, duplicate_window: Math.min(info.config.duplicate_window ?? maxAgeNs, maxAgeNs) });
    this.logger?.info({ bucket, maxAgeMs }, "KV bucket max age aligned");
  }

  drain(): Promise<void> {
    // Disconnected: a drain would only wait for a reconnection, and nothing can be flushed.
    if (!this.drained && !this.up && !this.connection.isClosed()) this.drained = this.connection.close().catch(() => {});
    this.drained ??= this.connection.isClosed()
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          // With the server away a drain waits for a reconnection that may never come: bound it,
          // then close (what was not flushed is lost either way; shutdown must not hang on it).
          const timer = setTimeout(() => {
            this.logger?.warn({ timeoutMs: this.drainTimeoutMs }, "NATS drain timed out: closing the connection");
            void this.connection.close().catch(() => {}).finally(resolve);
          }, this.drainTimeoutMs);
          this.connection
            .drain()
            .catch(() => {})
            .finally(() => {
              clearTimeout(timer);
              resolve();
            });
        });
    return this.drained;
  }

  /** Decodes or counts and logs the failure (the handler never sees a bad payload). */
  decode<T>(subject: string, codec: Codec<T>, data: Uint8Array): { value: T } | undefined {
    try {
      return { value: codec.decode(data) };
    } catch (cause) {
      const n = (this.decodeFailures.get(subject) ?? 0) + 1;
      this.decodeFailures.set(subject, n);
      // Logged on the first failure and then every 100th, so a misbehaving publisher cannot flood logs.
      if (n === 1 || n % 100 === 0) this.logger?.warn({ err: new DecodeError(subject, { cause }), failures: n }, "dropped undecodable message");
      return undefined;
    }
  }

  private async consume(subject: string, headers: MsgHdrs | undefined, fn: () => Promise<void>): Promise<void> {
    const parent = extractTraceContext(headers ? new NatsHeaderCarrier(headers) : undefined);
    const span = tracer.startSpan(
      `receive ${subject}`,
      { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "nats", "messaging.destination.name": subject, "messaging.operation.type": "receive" } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), fn);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      this.logger?.error({ err, subject }, "message handler failed");
    } finally {
      span.end();
    }
  }
}

class NatsKv implements TypedKv {
  constructor(
    readonly bucket: string,
    private readonly kv: KV,
    private readonly bus: NatsBus,
  ) {}

  async get<T>(key: string, codec: Codec<T>): Promise<T | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
    return this.bus.decode(`${this.bucket}/${key}`, codec, e.value)?.value;
  }

  async entry<T>(key: string, codec: Codec<T>): Promise<KvEntry<T> | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== "PUT") return undefined;
    return { revision: e.revision, value: e.value.length === 0 ? undefined : this.bus.decode(`${this.bucket}/${key}`, codec, e.value)?.value };
  }

  put<T>(key: string, codec: Codec<T>, message: T): Promise<number> {
    return this.kv.put(key, codec.encode(message).finish());
  }

  async update<T>(key: string, codec: Codec<T>, message: T, expectedRevision: number | undefined): Promise<number> {
    const data = codec.encode(message).finish();
    try {
      // `create` also succeeds over a deleted key; `update` needs the revision the writer last saw.
      return expectedRevision === undefined ? await this.kv.create(key, data) : await this.kv.update(key, data, expectedRevision);
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) {
        throw new KvConflictError(`${this.bucket}/${key}`, expectedRevision, { cause: err });
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  async watch<T>(
    key: string,
    codec: Codec<T>,
    handler: (value: T | undefined, key: string, revision: number) => void | Promise<void>,
    options: { updatesOnly?: boolean } = {},
  ): Promise<Stoppable> {
    const iter = await this.kv.watch({ key, include: options.updatesOnly ? KvWatchInclude.UpdatesOnly : KvWatchInclude.LastValue });
    const done = (async () => {
      for await (const e of iter) {
        if (e.operation !== "PUT") {
          await handler(undefined, e.key, e.revision);
          continue;
        }
        const decoded = this.bus.decode(`${this.bucket}/${e.key}`, codec, e.value);
        if (decoded) await handler(decoded.value, e.key, e.revision);
      }
    })();
    return {
      stop: async () => {
        iter.stop();
        await done.catch(() => {});
      },
    };
  }
}

function mapRequestError(subject: string, timeoutMs: number, err: unknown): Error {
  if (err instanceof NoRespondersError || err instanceof RequestTimeoutError || err instanceof DecodeError) return err;
  if (err instanceof NatsNoResponders) return new NoRespondersError(subject, { cause: err });
  if (err instanceof RequestError) {
    if (err.isNoResponders()) return new NoRespondersError(subject, { cause: err });
    if (err.cause instanceof TimeoutError) return new RequestTimeoutError(subject, timeoutMs, { cause: err });
  }
  if (err instanceof TimeoutError) return new RequestTimeoutError(subject, timeoutMs, { cause: err });
  return err as Error;
}
