import { totalCores, type StageAssignment } from "@fulcrum/core";
import { createRng } from "@fulcrum/core/rng";
import { quantile, sortedQuantile } from "@fulcrum/core/stats";
import type { LoadSample } from "@fulcrum/core/control";
import { requestDeadline } from "@fulcrum/core/deadline";
import type { PolicyStage, Solver } from "@fulcrum/core/policies";
import { DEFAULT_RECONCILE_CONFIG, desiredSlots, INITIAL_RECONCILE_STATE, planReconcile, type ObservedReplica, type ReconcileConfig, type ReconcileState, type SlotTarget } from "@fulcrum/core/reconcile";
import { planStage, type ReplicaView } from "./actuation.js";
import { explicitArrivals, traceArrivals, type ArrivalSource } from "./arrivals.js";
import { ControlLoop, type DecisionRecord } from "./control-loop.js";
import { ExperimentConfigError, SimInvariantError } from "./errors.js";
import { EventQueue, type EventTarget } from "./event-queue.js";
import { Ledger } from "./ledger.js";
import { DRAINING, READY, REJECTED, Replica, STARTING, STOPPED, type ReplicaHooks, type ReplicaState } from "./replica.js";
import { SimRequest } from "./request.js";
import type { RunResult } from "./result.js";
import { createCoreRouter, type RequestRouter } from "./router.js";
import type { Scenario } from "./scenario.js";
import { StepIntegrator } from "./series.js";

/** What a run needs from outside. */
export interface SimDeps {
  /** The MILP solver for policies that use one (HiGHS from `@fulcrum/solver` in production). */
  readonly solver: Solver;
  /** A wall clock in ms (e.g. `performance.now`), to time decisions; omitted: no timing. */
  readonly wallClock?: () => number;
  /**
   * The process's CPU time in ms (e.g. from `process.cpuUsage()`), to split the CPU a run costs
   * between the control steps and the data plane; a robust measure on a shared machine, where
   * wall time counts the other processes' turns too. Needs `wallClock`.
   */
  readonly cpuClock?: () => number;
  /** Called after every decision with the virtual time reached and the run length, ms. */
  readonly onProgress?: (simMs: number, durationMs: number) => void;
}

const DRAIN_LATER = 0;
const RECONCILE = 1;

/** Period of reconciliation passes while the replicas have not converged, ms (the actuator's `passIntervalMs` default). */
const RECONCILE_PASS_MS = 1000;
const PHASES = { [STARTING]: "starting", [READY]: "ready", [DRAINING]: "draining" } as const;

/** Per stage: variant names, accuracies and load times, and its live replicas. */
interface StageState {
  readonly names: readonly string[];
  readonly accuracy: readonly number[];
  readonly loadTimeMs: readonly number[];
  readonly replicas: Replica[];
}

/**
 * Runs one {@link Scenario} to completion on a virtual clock and returns what it measured. The
 * data plane is the live system's rules on an event queue: arrivals → the router (weighted split,
 * least outstanding) → each stage's replicas running the core EDF batcher → the next stage → the
 * answer; the control plane is the predictor and the policy from core, called at each interval
 * and actuated with the scenario's delays. After the last arrival the run continues until every
 * request has its fate, then the ledger must balance exactly.
 */
export async function simulate(scenario: Scenario, deps: SimDeps): Promise<RunResult> {
  return new Engine(scenario, deps).run();
}

class Engine implements ReplicaHooks, EventTarget {
  private readonly queue = new EventQueue();
  private readonly ledger: Ledger;
  private readonly cores: StepIntegrator;
  private readonly accuracy: StepIntegrator;
  private readonly forecast: StepIntegrator;
  private readonly decidedCores: StepIntegrator;
  private readonly stages: StageState[];
  private readonly router: RequestRouter;
  private readonly control: ControlLoop;
  private readonly arrivals: ArrivalSource;
  private readonly serviceRng;
  private readonly durationS: number;
  private readonly byId = new Map<number, Replica>();
  private readonly retiring = new Set<number>();
  private readonly load: LoadSample[] = [];
  private readonly byInstance = new Map<string, Replica>();
  /** In-place actuation: the reconciler's desired replicas, carried state, and whether a pass is scheduled or needed. */
  private desired: Record<string, SlotTarget[]> = {};
  private reconcileState: ReconcileState = INITIAL_RECONCILE_STATE;
  /** The live reconciler's planning settings (variants switch in place), with the scenario's limits on starts and actions. */
  private readonly reconcileConfig: ReconcileConfig;
  private passScheduled = false;
  private converged = true;
  private readonly trackBudgets: boolean;
  private budgetSecond = -1;
  private budgetsOfSecond: number[] = [];
  private nextRequestId = 0;
  /** The request parameters `requestDeadline` reads, refilled per arrival (no object per request). */
  private readonly deadlineParams: { sloMs: number } = { sloMs: 0 };
  private nextReplicaId = 0;
  private coldStarts = 0;
  private inPlaceSwitches = 0;
  private stageVisits = 0;
  private readonly decisions: DecisionRecord[] = [];
  private decisionCpuMs = 0;
  private controlWallMs = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly deps: SimDeps,
  ) {
    if (scenario.stages.length === 0) throw new ExperimentConfigError(scenario.label, [{ key: "stages", message: "a pipeline needs at least one stage" }]);
    const act = scenario.actuation;
    this.reconcileConfig = {
      ...DEFAULT_RECONCILE_CONFIG,
      maxConcurrentStarts: act.maxConcurrentStarts ?? DEFAULT_RECONCILE_CONFIG.maxConcurrentStarts,
      maxActionsPerPass: act.maxActionsPerPass ?? DEFAULT_RECONCILE_CONFIG.maxActionsPerPass,
    };
    this.ledger = new Ledger(scenario.workload.kind === "trace" ? scenario.workload.countsPerSecond.length : scenario.workload.durationS);
    this.stages = scenario.stages.map((st) => ({
      names: st.variants.map((v) => v.name),
      accuracy: st.variants.map((v) => v.accuracy),
      loadTimeMs: st.variants.map((v) => v.loadTimeMs ?? 0),
      replicas: [],
    }));
    this.router = createCoreRouter(scenario.pipeline, scenario.stages.map((st) => st.name));
    this.control = new ControlLoop(scenario, deps.solver, deps.wallClock);
    const w = scenario.workload;
    const arrivalRng = createRng(scenario.seed);
    this.serviceRng = createRng((scenario.seed ^ 0x5bd1e995) >>> 0);
    if (w.kind === "trace") {
      this.durationS = w.countsPerSecond.length;
      this.trackBudgets = w.budgetsMs !== undefined;
      this.arrivals = traceArrivals({
        countsPerSecond: w.countsPerSecond, sloMs: scenario.sloMs, rng: arrivalRng,
        ...(w.scale !== undefined ? { scale: w.scale } : {}), ...(w.budgetsMs ? { budgetsMs: w.budgetsMs } : {}),
      });
    } else {
      this.durationS = w.durationS;
      this.trackBudgets = w.requests.some((r) => r.budgetMs !== scenario.sloMs);
      this.arrivals = explicitArrivals(w.requests);
    }
    const endMs = this.durationS * 1000;
    this.cores = new StepIntegrator(0, endMs);
    this.accuracy = new StepIntegrator(0, endMs);
    this.forecast = new StepIntegrator(0, endMs);
    this.decidedCores = new StepIntegrator(0, endMs);
  }

  async run(): Promise<RunResult> {
    const clock = this.deps.wallClock;
    const t0 = clock?.() ?? 0;
    const s = this.scenario;
    const endMs = this.durationS * 1000;
    const cpu = this.deps.cpuClock;
    const c0 = cpu?.() ?? 0;
    // Control steps are timed here, clock readings included: instrumentation is not data-plane work.
    const timedCpu = async <T>(f: () => Promise<T>): Promise<T> => {
      const w = clock?.() ?? 0;
      const start = cpu?.() ?? 0;
      const out = await f();
      this.decisionCpuMs += (cpu?.() ?? 0) - start;
      this.controlWallMs += (clock?.() ?? 0) - w;
      return out;
    };
    const initialRps = "decideAtRps" in s.initial ? s.initial.decideAtRps : undefined;
    const initial = initialRps !== undefined ? await timedCpu(() => this.control.decideFor(initialRps, 0, this.load)) : undefined;
    const initialStages = initial?.stages ?? (s.initial as readonly StageAssignment[]);
    if (initial) this.decisions.push(initial);
    this.control.setInitial(initialStages);
    this.install(initialStages, 0, true, initial?.forecastRps ?? 0);
    let pending = this.arrivals.next();
    const advance = (untilMs: number): void => {
      for (;;) {
        const te = this.queue.peekTime();
        const ta = pending ? this.arrivals.timeMs : Infinity;
        if (te <= ta) {
          if (te >= untilMs) return;
          this.queue.popAndRun();
        } else {
          if (ta >= untilMs) return;
          this.arrive(ta, this.arrivals.budgetMs);
          pending = this.arrivals.next();
        }
      }
    };
    for (let at = s.control.firstDecisionMs; at < endMs; at += s.control.intervalMs) {
      advance(at);
      this.closeLoadSeconds(Math.floor(at / 1000));
      const d = await timedCpu(() => this.control.decide(at, this.load));
      this.decisions.push(d);
      if (d.stages) this.install(d.stages, at, false, d.forecastRps ?? 0);
      this.deps.onProgress?.(at, endMs);
    }
    advance(Infinity);
    this.ledger.check(0);
    for (const st of this.stages) {
      for (const r of st.replicas) if (r.queued > 0) throw new SimInvariantError(`replica ${r.id} still holds ${r.queued} requests after the run drained`);
    }
    this.deps.onProgress?.(endMs, endMs);
    const wallMs = (clock?.() ?? 0) - t0;
    const cpuMs = cpu ? cpu() - c0 : undefined;
    return this.result(endMs, clock ? wallMs : undefined, cpuMs);
  }

  // ---- data plane ---------------------------------------------------------------------------

  private arrive(timeMs: number, budgetMs: number): void {
    this.deadlineParams.sloMs = budgetMs;
    const req = new SimRequest(this.nextRequestId++, timeMs, requestDeadline(timeMs, this.deadlineParams, this.scenario.sloMs));
    this.ledger.arrive(req);
    if (this.trackBudgets) this.recordBudget(timeMs, budgetMs);
    this.route(req, timeMs);
  }

  private route(req: SimRequest, nowMs: number): void {
    this.stageVisits++;
    const r = this.router.pick(req.stage, nowMs);
    if (!r) {
      this.ledger.unavailable(req);
      return;
    }
    if (r.offer(req, nowMs) === REJECTED) {
      this.router.release(r);
      this.ledger.rejected(req);
    }
  }

  served(req: SimRequest, replica: Replica, nowMs: number): void {
    this.router.release(replica);
    req.accuracy *= this.stages[replica.stage]!.accuracy[replica.variant]!;
    if (req.stage === this.stages.length - 1) this.ledger.answered(req, nowMs);
    else {
      req.stage++;
      this.route(req, nowMs);
    }
  }

  dropped(req: SimRequest, replica: Replica): void {
    this.router.release(replica);
    this.ledger.dropped(req);
  }

  changed(replica: Replica, nowMs: number): void {
    this.router.update(replica);
    if (replica.state === STOPPED) {
      const list = this.stages[replica.stage]!.replicas;
      list.splice(list.indexOf(replica), 1);
      this.byId.delete(replica.id);
      this.byInstance.delete(replica.instance);
      this.retiring.delete(replica.id);
    }
    // A registry change triggers a pass of the live reconciler too.
    if (!this.converged && (replica.state === READY || replica.state === STOPPED)) this.schedulePass(nowMs);
  }

  coresCharged(delta: number, nowMs: number): void {
    this.cores.add(delta, nowMs);
  }

  /** Rolling updates: a replaced replica drains once its replacements are ready. */
  onEvent(kind: number, arg: number, nowMs: number): void {
    if (kind === DRAIN_LATER) this.byId.get(arg)?.drain(nowMs);
    else if (kind === RECONCILE) {
      this.passScheduled = false;
      this.reconcile(nowMs);
    }
  }

  // ---- control plane ------------------------------------------------------------------------

  /** Applies an assignment at `nowMs`: the router's split at once, replica changes with their delays. */
  private install(stages: readonly StageAssignment[], nowMs: number, initial: boolean, forecastRps: number): void {
    const s = this.scenario;
    const act = s.actuation;
    this.accuracy.set(expectedAccuracy(s.stages, stages), nowMs);
    this.forecast.set(forecastRps, nowMs);
    this.decidedCores.set(totalCores({ stages }), nowMs);
    this.router.assign(stages, nowMs);
    s.stages.forEach((stage, si) => {
      const st = this.stages[si]!;
      const alloc = stages.find((a) => a.stage === stage.name)?.variants ?? [];
      for (const a of alloc) this.checkAllocation(si, a, nowMs);
      if (initial) {
        for (const a of alloc) {
          const v = this.variantIndex(si, a.variant);
          for (let k = 0; k < a.replicas; k++) this.newReplica(si, v, a.coresPerReplica, a.batch, READY, nowMs);
        }
        return;
      }
      if (act.mode === "in-place") return;
      const views: ReplicaView[] = st.replicas.map((r) => ({
        id: r.id,
        variant: st.names[r.switchVariant >= 0 ? r.switchVariant : r.variant]!,
        cores: r.switchCores >= 0 ? r.switchCores : r.cores,
        batch: r.batch,
        state: r.state === DRAINING || this.retiring.has(r.id) ? "draining" : r.state === STARTING ? "starting" : "ready",
      }));
      let lastReadyMs = nowMs;
      const plan = planStage(views, alloc, act.mode);
      for (const a of plan) {
        if (a.kind === "start") {
          lastReadyMs = Math.max(lastReadyMs, this.startReplica(si, this.variantIndex(si, a.variant), a.cores, a.batch, nowMs));
        } else if (a.kind === "retarget") {
          this.retarget(this.byId.get(a.replica)!, this.variantIndex(si, a.variant), a.cores, a.batch, nowMs);
        }
      }
      for (const a of plan) {
        if (a.kind !== "drain") continue;
        if (a.when === "now") this.byId.get(a.replica)!.drain(nowMs);
        else {
          this.retiring.add(a.replica);
          this.queue.push(lastReadyMs, this, DRAIN_LATER, a.replica);
        }
      }
    });
    if (!initial && act.mode === "in-place") {
      this.desired = desiredSlots(stages);
      this.reconcile(nowMs);
    }
  }

  /**
   * One pass of the elastic reconciler (`planReconcile` from `@fulcrum/core/reconcile`, the live
   * actuator loop's planner) over the replicas as the registry would show them, within the run's
   * core budget (`limits.maxCores`); its actions are applied with the scenario's delays. Passes
   * repeat every {@link RECONCILE_PASS_MS} and on every replica that becomes ready or stops, until
   * the replicas converge (or the run ends).
   */
  private reconcile(nowMs: number): void {
    const observed: ObservedReplica[] = [];
    this.scenario.stages.forEach((stage, si) => {
      const st = this.stages[si]!;
      for (const r of st.replicas) {
        if (r.state === STOPPED) continue;
        const v = r.switchVariant >= 0 ? r.switchVariant : r.variant;
        const cores = r.switchCores >= 0 ? r.switchCores : r.cores;
        observed.push({ instance: r.instance, stage: stage.name, phase: PHASES[r.state], target: { variant: st.names[v]!, cores, batchSize: r.batch }, coresHeld: r.charged, servable: st.names });
      }
    });
    const { plan, state } = planReconcile({ desired: this.desired, observed, coreBudget: this.scenario.limits.maxCores }, this.reconcileState, this.reconcileConfig, nowMs);
    this.reconcileState = state;
    for (const a of plan.actions) {
      if (a.kind === "forget") continue;
      const si = this.scenario.stages.findIndex((st) => st.name === a.stage);
      if (a.kind === "start") this.startReplica(si, this.variantIndex(si, a.target.variant), a.target.cores, a.target.batchSize, nowMs, a.instance);
      else if (a.kind === "retarget") this.retarget(this.byInstance.get(a.instance)!, this.variantIndex(si, a.to.variant), a.to.cores, a.to.batchSize, nowMs);
      else this.byInstance.get(a.instance)!.drain(nowMs);
    }
    this.converged = plan.converged;
    if (!plan.converged) this.schedulePass(nowMs + RECONCILE_PASS_MS);
  }

  private schedulePass(atMs: number): void {
    if (this.passScheduled || atMs >= this.durationS * 1000) return;
    this.passScheduled = true;
    this.queue.push(atMs, this, RECONCILE, 0);
  }

  /** A cold start: ready after start-up, the model's load time and warm-up; returns when, ms. */
  private startReplica(stage: number, variant: number, cores: number, batch: number, nowMs: number, instance?: string): number {
    const act = this.scenario.actuation;
    const readyAt = nowMs + act.replicaStartMs + this.stages[stage]!.loadTimeMs[variant]! + act.warmupMs;
    this.newReplica(stage, variant, cores, batch, STARTING, nowMs, instance).startUntil(readyAt);
    this.coldStarts++;
    return readyAt;
  }

  /** Moves a replica to (variant, cores, batch) in place: cores after `inPlaceChangeMs`, a variant after its load time + warm-up. */
  private retarget(r: Replica, variant: number, cores: number, batch: number, nowMs: number): void {
    const act = this.scenario.actuation;
    const curV = r.switchVariant >= 0 ? r.switchVariant : r.variant;
    const curC = r.switchCores >= 0 ? r.switchCores : r.cores;
    if (variant !== curV || cores !== curC) {
      const delay = variant !== curV ? this.stages[r.stage]!.loadTimeMs[variant]! + act.warmupMs : act.inPlaceChangeMs;
      r.switchTo(variant, cores, nowMs + delay, nowMs);
      this.inPlaceSwitches++;
    }
    r.setBatch(batch, nowMs);
  }

  /** An allocation the replicas cannot run is a scenario mistake (e.g. a batch beyond the tables): say which. */
  private checkAllocation(stage: number, a: StageAssignment["variants"][number], nowMs: number): void {
    const where = `policy ${this.scenario.policy.name} at t=${nowMs / 1000} s, stage ${this.scenario.stages[stage]!.name}`;
    this.variantIndex(stage, a.variant);
    const bad = (key: string, message: string): never => {
      throw new ExperimentConfigError(this.scenario.label, [{ key, message: `${where}: ${message}` }]);
    };
    if (!Number.isInteger(a.batch) || a.batch < 1 || a.batch > this.scenario.replica.maxBatch) {
      bad("limits.batches", `batch ${a.batch} of ${a.variant} is outside 1..${this.scenario.replica.maxBatch}, the largest batch the replicas are built for (add it to limits.batches)`);
    }
    if (!Number.isInteger(a.coresPerReplica) || a.coresPerReplica < 1) bad("assignment", `${a.variant} has ${a.coresPerReplica} cores per replica`);
    if (!Number.isInteger(a.replicas) || a.replicas < 0) bad("assignment", `${a.variant} has ${a.replicas} replicas`);
    if (!(a.weight >= 0)) bad("assignment", `${a.variant} has weight ${a.weight}`);
  }

  private newReplica(stage: number, variant: number, cores: number, batch: number, state: ReplicaState, nowMs: number, instance?: string): Replica {
    const st = this.stages[stage]!;
    const r = new Replica(this.nextReplicaId++, stage, st.names, variant, cores, batch, state, this.scenario.service, this.scenario.replica, this.queue, this, this.serviceRng);
    if (instance !== undefined) r.instance = instance;
    st.replicas.push(r);
    this.byId.set(r.id, r);
    this.byInstance.set(r.instance, r);
    r.charge(cores, nowMs);
    this.router.update(r);
    return r;
  }

  private variantIndex(stage: number, name: string): number {
    const v = this.stages[stage]!.names.indexOf(name);
    if (v < 0) throw new ExperimentConfigError(this.scenario.label, [{ key: `assignment.${this.scenario.stages[stage]!.name}`, message: `unknown variant "${name}"` }]);
    return v;
  }

  // ---- monitor ------------------------------------------------------------------------------

  private recordBudget(timeMs: number, budgetMs: number): void {
    const s = Math.floor(timeMs / 1000);
    if (s !== this.budgetSecond) {
      this.closeLoadSeconds(s);
      this.budgetSecond = s;
    }
    this.budgetsOfSecond.push(budgetMs);
  }

  /** Makes the monitor's samples of every second before `untilS` (arrivals and budget quantiles). */
  private closeLoadSeconds(untilS: number): void {
    const arrivals = this.ledger.arrivalsPerSecond;
    while (this.load.length < untilS) {
      const s = this.load.length;
      if (this.trackBudgets && s === this.budgetSecond && this.budgetsOfSecond.length > 0) {
        this.load.push({ ...this.sample(s, arrivals[s] ?? 0), budgetP10Ms: quantile(this.budgetsOfSecond, 0.1), budgetP50Ms: quantile(this.budgetsOfSecond, 0.5) });
        this.budgetsOfSecond = [];
      } else this.load.push(this.sample(s, arrivals[s] ?? 0));
    }
  }

  /** The monitor's load sample of second `s` (a one-second window; time is the run's, from 0). */
  private sample(s: number, arrivals: number): LoadSample {
    return { pipeline: this.scenario.pipeline, timestampMs: s * 1000, arrivalsRps: arrivals, windowMs: 1000 };
  }

  // ---- results ------------------------------------------------------------------------------

  private result(endMs: number, wallMs: number | undefined, cpuMs: number | undefined): RunResult {
    const counts = this.ledger.counts();
    const n = this.durationS;
    // A typed array sorts numerically, natively; sortedQuantile only indexes it.
    const lat = this.ledger.latenciesMs.slice().sort() as unknown as readonly number[];
    const arrivals = Array.from({ length: n }, (_, i) => this.ledger.arrivalsPerSecond[i] ?? 0);
    const inTime = this.ledger.fatePerSecond("inTime", n);
    const meanCores = this.cores.meanUntil(endMs);
    const meanAccuracy = this.accuracy.meanUntil(endMs);
    this.forecast.meanUntil(endMs);
    const decisionWall = this.decisions.map((d) => d.wallMs);
    const decisionWallMs = this.controlWallMs;
    return {
      label: this.scenario.label,
      durationS: n,
      counts,
      attainment: counts.arrivals > 0 ? counts.inTime / counts.arrivals : 1,
      violations: counts.arrivals - counts.inTime,
      meanCores,
      meanDecidedCores: this.decidedCores.meanUntil(endMs),
      meanAccuracy: 100 * meanAccuracy,
      servedAccuracy: 100 * (this.ledger.servedAccuracy() ?? 0),
      p99LatencyMs: lat.length > 0 ? sortedQuantile(lat, 0.99) : 0,
      coldStarts: this.coldStarts,
      inPlaceSwitches: this.inPlaceSwitches,
      decisions: {
        total: this.decisions.length,
        fallbacks: this.decisions.filter((d) => d.status === "fallback").length,
        held: this.decisions.filter((d) => d.status === "held").length,
        kept: this.decisions.filter((d) => d.status.startsWith("kept")).length,
      },
      series: {
        arrivals,
        forecastRps: this.forecast.secondAverages(n),
        cores: this.cores.secondAverages(n),
        accuracyPct: this.accuracy.secondAverages(n).map((a) => 100 * a),
        inTime,
        violations: arrivals.map((a, i) => a - inTime[i]!),
      },
      decisionLog: this.decisions,
      ...(wallMs !== undefined
        ? {
            timing: {
              wallMs, decisionWallMs, decisionWallMaxMs: Math.max(0, ...decisionWall), engineWallMs: wallMs - decisionWallMs, stageVisits: this.stageVisits,
              ...(cpuMs !== undefined ? { cpuMs, decisionCpuMs: this.decisionCpuMs, engineCpuMs: cpuMs - this.decisionCpuMs } : {}),
            },
          }
        : {}),
    };
  }
}

/**
 * Expected pipeline accuracy of an assignment: per stage Σ share·accuracy over its variants
 * (shares normalised), multiplied over stages; 0 when a stage has no traffic.
 */
export function expectedAccuracy(stages: readonly PolicyStage[], assignment: readonly StageAssignment[]): number {
  let pas = 1;
  for (const stage of stages) {
    const alloc = assignment.find((a) => a.stage === stage.name)?.variants ?? [];
    const total = alloc.reduce((w, a) => w + a.weight, 0);
    if (!(total > 0)) return 0;
    pas *= alloc.reduce((acc, a) => acc + (a.weight / total) * (stage.variants.find((v) => v.name === a.variant)?.accuracy ?? 0), 0);
  }
  return pas;
}
