import { FulcrumError, type ErrorKind } from "@fulcrum/core";

/** Base of the NATS bus adapter's errors. */
export class BusError extends FulcrumError {
  override name = "BusError";
  constructor(
    code: string,
    kind: ErrorKind,
    /** Subject (or bucket/key) the operation was about. */
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, kind, message, options);
  }
}

/** A request found nobody subscribed to its subject. */
export class NoRespondersError extends BusError {
  override name = "NoRespondersError";
  constructor(subject: string, options?: { cause?: unknown }) {
    super("NATS_NO_RESPONDERS", "unavailable", subject, `no responders on "${subject}": is the service that answers it running?`, options);
  }
}

/** A request got no reply in time. */
export class RequestTimeoutError extends BusError {
  override name = "RequestTimeoutError";
  constructor(
    subject: string,
    /** The timeout that elapsed, ms. */
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super("NATS_REQUEST_TIMEOUT", "deadline-exceeded", subject, `request on "${subject}" got no reply within ${timeoutMs} ms`, options);
  }
}

/** A payload could not be decoded as the subject's protobuf message. */
export class DecodeError extends BusError {
  override name = "DecodeError";
  constructor(subject: string, options?: { cause?: unknown }) {
    super("NATS_DECODE_FAILED", "invalid-argument", subject, `cannot decode message on "${subject}": ${(options?.cause as Error | undefined)?.message ?? "invalid payload"}`, options);
  }
}

/** Could not connect to the NATS server(s). */
export class BusConnectError extends BusError {
  override name = "BusConnectError";
  constructor(servers: string, options?: { cause?: unknown }) {
    super("NATS_CONNECT_FAILED", "unavailable", servers, `cannot connect to NATS at ${servers}: ${(options?.cause as Error | undefined)?.message ?? "unknown error"}`, options);
  }
}

/** A compare-and-set KV write found that someone else wrote the key since the revision it named. */
export class KvConflictError extends BusError {
  override name = "KvConflictError";
  constructor(
    key: string,
    /** The revision the writer expected (undefined: it expected no value). */
    readonly expectedRevision: number | undefined,
    options?: { cause?: unknown },
  ) {
    super("NATS_KV_CONFLICT", "failed-precondition", key, `KV ${key} changed since ${expectedRevision === undefined ? "the writer saw it empty" : `revision ${expectedRevision}`}: re-read it and write again`, options);
  }
}
