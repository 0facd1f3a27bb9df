import { targetForReplica, type Assignment, type ReplicaTarget, type VariantAllocation } from "@fulcrum/core";
import type { ReplicaPlacement } from "@fulcrum/core/control";
import type { Logger } from "@fulcrum/runtime";
import { DTYPE_BYTES, elementCount, type InferencePool, type SessionInfo, type TensorData, type TensorDtype } from "@fulcrum/inference";
import { IncompatibleVariantError, ReconfigurationError } from "../errors.js";
import type { StageServer } from "../serving/stage-server.js";

/** Outcome of applying one Assignment version. */
export interface ApplyOutcome {
  readonly version: number;
  readonly applied: boolean;
  /** Receipt → serving the new configuration, ms. */
  readonly applyMs: number;
  readonly error?: string;
  readonly target?: ReplicaTarget;
}

/** Options of {@link Reconfigurer}. */
export interface ReconfigurerOptions {
  readonly stage: string;
  /** This replica's index among the stage's replicas (see the stage config). */
  readonly replicaIndex: number;
  /**
   * Set for a replica of a per-variant deployment: it serves this variant only. From an Assignment
   * it takes the cores and batch of this variant's entry (none: it keeps its configuration); a
   * placement naming another variant is refused. @default undefined (target by `replicaIndex`)
   */
  readonly pinnedVariant?: string;
  readonly server: StageServer;
  readonly pool: InferencePool;
  /** Model file of a variant; throws (e.g. zoo's UnknownVariantError) for one this stage cannot serve. */
  readonly modelPathOf: (variant: string) => string;
  readonly clock: () => number;
  readonly logger?: Logger;
}

function zeros(spec: SessionInfo["inputs"][number], batch: number): TensorData {
  const dtype = spec.dtype as TensorDtype;
  const dims = spec.shape.map((d, i) => (typeof d === "number" && d > 0 ? d : i === 0 ? batch : 1));
  return { dtype, dims, data: new Uint8Array(elementCount(dims) * DTYPE_BYTES[dtype]) };
}

function signatureOf(info: SessionInfo): string {
  const t = (x: SessionInfo["inputs"][number]): string => `${x.name}:${x.dtype}[${x.shape.map((d) => (typeof d === "number" && d > 0 ? d : "N")).join(",")}]`;
  return `${info.inputs.map(t).join(";")}->${info.outputs.map(t).join(";")}`;
}

/** A pinned replica's target: its variant's cores per replica and batch, when the Assignment gives the variant traffic. */
function pinnedTarget(variants: readonly VariantAllocation[], variant: string): ReplicaTarget | undefined {
  const v = variants.find((x) => x.variant === variant && x.weight > 0 && x.replicas > 0);
  return v ? { variant, cores: v.coresPerReplica, batchSize: v.batch } : undefined;
}

/**
 * Applies Assignments to this replica, one version at a time and only newer ones: a variant or
 * cores change prepares and warms the new session beside the serving one, measures it at batch 1
 * and at the new batch size (seeding the batcher's latency model), then swaps between batches; a
 * batch-only change applies at the next batch. A failure leaves the current configuration serving.
 */
export class Reconfigurer {
  private versionApplied = 0;
  private generation = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private signature: string | undefined;

  constructor(private readonly options: ReconfigurerOptions) {}

  /** Highest version applied (0 before any). */
  get version(): number {
    return this.versionApplied;
  }

  /** Switches to `target` (start-up and Assignments share this path). */
  switchTo(target: ReplicaTarget): Promise<void> {
    const run = this.chain.then(() => this.doSwitch(target));
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Applies `assignment` if it is newer and names this stage; resolves with the outcome to ack, or
   * undefined when there is nothing to ack (older version, other pipeline stage only).
   */
  apply(assignment: Assignment, receivedAtMs: number): Promise<ApplyOutcome | undefined> {
    const run = this.chain.then(() => this.doApply(assignment, receivedAtMs));
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Applies a placement (a managed replica's own target, written by the reconciler) if its
   * generation is newer; resolves with the outcome to ack under the placement's Assignment version.
   */
  place(placement: ReplicaPlacement, receivedAtMs: number): Promise<ApplyOutcome | undefined> {
    const run = this.chain.then(async () => {
      if (placement.generation <= this.generation) return undefined;
      this.generation = placement.generation;
      const pinned = this.options.pinnedVariant;
      if (pinned !== undefined && placement.target.variant !== pinned) {
        const e = new ReconfigurationError(placement.assignmentVersion, `this replica is pinned to variant ${pinned}; its placement asks for ${placement.target.variant}`);
        this.options.logger?.warn({ err: e, generation: placement.generation }, "placement not applied; keeping the current configuration");
        return { version: placement.assignmentVersion, applied: false, applyMs: this.options.clock() - receivedAtMs, error: e.message, target: placement.target };
      }
      return this.applyTarget(placement.assignmentVersion, placement.target, receivedAtMs);
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async doApply(a: Assignment, receivedAtMs: number): Promise<ApplyOutcome | undefined> {
    if (a.version <= this.versionApplied) return undefined;
    const mine = a.stages.find((s) => s.stage === this.options.stage);
    if (!mine) return undefined;
    const pinned = this.options.pinnedVariant;
    if (pinned === undefined) return this.applyTarget(a.version, targetForReplica(mine.variants, this.options.replicaIndex), receivedAtMs);
    const target = pinnedTarget(mine.variants, pinned);
    if (target) return this.applyTarget(a.version, target, receivedAtMs);
    // The Assignment gives this variant no traffic: nothing to change here (the gateway sends it none).
    this.versionApplied = Math.max(this.versionApplied, a.version);
    return { version: a.version, applied: true, applyMs: this.options.clock() - receivedAtMs };
  }

  private async applyTarget(version: number, target: ReplicaTarget, receivedAtMs: number): Promise<ApplyOutcome> {
    try {
      await this.doSwitch(target);
      this.versionApplied = Math.max(this.versionApplied, version);
      return { version, applied: true, applyMs: this.options.clock() - receivedAtMs, target };
    } catch (err) {
      const e = new ReconfigurationError(version, (err as Error).message, { cause: err });
      this.options.logger?.warn({ err: e, version, target }, "configuration not applied; keeping the current one");
      // A version that cannot be applied is still consumed: re-trying it on every later message would not help.
      this.versionApplied = Math.max(this.versionApplied, version);
      return { version, applied: false, applyMs: this.options.clock() - receivedAtMs, error: e.message, target };
    }
  }

  private async doSwitch(target: ReplicaTarget): Promise<void> {
    const { server, pool } = this.options;
    const cur = server.active;
    if (cur && cur.variant === target.variant && cur.cores === target.cores) {
      if (cur.batchSize !== target.batchSize) {
        await pool.warm(cur.sessionKey, [target.batchSize]);
        server.setBatchSize(target.batchSize);
      }
      return;
    }
    const modelPath = this.options.modelPathOf(target.variant);
    const info = await pool.prepare({ modelPath, cores: target.cores, warmupBatchSizes: [1, target.batchSize] });
    const sig = signatureOf(info);
    if (this.signature !== undefined && sig !== this.signature) {
      throw new IncompatibleVariantError(target.variant, sig, this.signature);
    }
    const probes: Array<{ batchSize: number; ms: number }> = [];
    for (const b of [...new Set([1, target.batchSize])]) {
      const inputs: Record<string, TensorData> = {};
      for (const spec of info.inputs) inputs[spec.name] = zeros(spec, b);
      const r = await pool.run(inputs, { sessionKey: info.key });
      probes.push({ batchSize: b, ms: r.totalMs });
    }
    this.signature = sig;
    server.activate(info, target.variant, target.batchSize, probes);
    this.options.logger?.info({ variant: target.variant, cores: target.cores, batch: target.batchSize, loadMs: info.loadMs, probes }, "serving new configuration");
  }
}
