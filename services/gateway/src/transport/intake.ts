import { ServerInterceptingCall, type Deadline, type Metadata, type ServerInterceptor } from "@grpc/grpc-js";
import type { RequestIntake } from "./front-door.js";

/** A call whose transport closed before the gateway answered it. */
export interface EarlyClose {
  /** The gRPC method path. */
  readonly method: string;
  readonly peer: string;
  readonly arrivalMs: number;
  readonly closedMs: number;
  /** The client's deadline as the gateway computed it (arrival + `grpc-timeout`), Unix ms. */
  readonly clientDeadlineMs: number | undefined;
  /**
   * Whether the handler had taken the call. grpc-js ignores every event of a cancelled call, so a
   * call closed before its message was decoded never reaches the handler: the gateway must count
   * it itself, or its figures would miss requests its clients saw fail.
   */
  readonly claimed: boolean;
  /** The OIP model (pipeline) the request named, when its message was decoded before the close. */
  readonly modelName: string | undefined;
}

/** The gRPC method whose calls the intake follows (other methods pass through untouched). */
const MODEL_INFER = "/inference.GRPCInferenceService/ModelInfer";

/** A gRPC deadline (a Date, or a number of Unix ms, Infinity for none) as Unix ms; undefined for none. */
function deadlineMs(d: Deadline): number | undefined {
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}

/** What the intake knows about one call, from its first header on. */
class CallRecord implements RequestIntake {
  answered = false;
  claimed = false;
  modelName: string | undefined;
  closedMs: number | undefined;
  private listener: ((closedMs: number) => void) | undefined;

  constructor(
    readonly arrivalMs: number,
    readonly clientDeadlineMs: number | undefined,
  ) {}

  onAbandoned(listener: (closedMs: number) => void): void {
    if (this.closedMs !== undefined) listener(this.closedMs);
    else this.listener = listener;
  }

  close(nowMs: number): void {
    this.closedMs = nowMs;
    this.listener?.(nowMs);
    this.listener = undefined;
  }
}

/**
 * The gateway's gRPC intake: a server interceptor on ModelInfer that stamps each call's arrival
 * when grpc-js creates it from the HTTP/2 stream's headers (before the request message is read
 * and decoded, and before the handler runs), reads the client's deadline (`grpc-timeout`, counted
 * from that arrival by grpc-js), and notices a stream that closes before the gateway answered:
 * the client's deadline passed, it cancelled, or the HTTP/2 stream or connection was reset.
 *
 * What arrival cannot include: time the request spent in the kernel's socket buffer and in
 * nghttp2 before the event loop got to it (at most the event loop's delay at that moment).
 */
export class GrpcIntake {
  private readonly calls = new WeakMap<Metadata, CallRecord>();

  constructor(
    private readonly clock: () => number,
    /** Called once per call whose transport closed before it was answered. */
    private readonly onEarlyClose: (e: EarlyClose) => void,
  ) {}

  /** The interceptor to mount on the gRPC server. */
  readonly interceptor: ServerInterceptor = (method, call) => {
    if (method.path !== MODEL_INFER) return new ServerInterceptingCall(call);
    const record = new CallRecord(this.clock(), deadlineMs(call.getDeadline()));
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            // The handler finds its record by the Metadata object it is handed (the same object).
            this.calls.set(metadata, record);
            pass(metadata);
          },
          onReceiveMessage: (message: { modelName?: unknown }, pass) => {
            if (typeof message?.modelName === "string") record.modelName = message.modelName;
            pass(message);
          },
          // grpc-js also calls onCancel after a normal end; only a close before any answer counts.
          onCancel: () => {
            if (record.answered || record.closedMs !== undefined) return;
            const now = this.clock();
            record.close(now);
            this.onEarlyClose({
              method: method.path,
              peer: call.getPeer(),
              arrivalMs: record.arrivalMs,
              closedMs: now,
              clientDeadlineMs: record.clientDeadlineMs,
              claimed: record.claimed,
              modelName: record.modelName,
            });
          },
        }),
      // Only the handler's answer counts as one: before the handler, grpc-js answers on its own
      // (a reset stream's half-close gets UNIMPLEMENTED "no request message" that nobody reads; a
      // malformed or oversized message its status without a Fulcrum reason), and the close that
      // follows is counted as a transport error, a failure as the client's ledger has it.
      sendMessage: (message, next) => {
        if (record.claimed) record.answered = true;
        next(message);
      },
      sendStatus: (status, next) => {
        if (record.claimed) record.answered = true;
        next(status);
      },
    });
  };

  /** The intake record of a call, by its request metadata, claimed by the caller (undefined for a call the interceptor did not see). */
  of(metadata: Metadata): RequestIntake | undefined {
    const record = this.calls.get(metadata);
    if (record) record.claimed = true;
    return record;
  }
}
