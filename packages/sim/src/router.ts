import { READY, type Replica } from "./replica.js";

/**
 * The seam through which the engine routes one stage call: the gateway's rule (a variant by the
 * assignment's traffic shares among the variants that have a ready replica, then the
 * least-outstanding ready replica of that variant; with none of the assigned variants ready, any
 * ready replica of the stage). The engine tells it every replica change and every new split.
 *
 * TODO(core/routing): replace {@link createInterimRouter} by `@fulcrum/core/routing` (the
 * gateway's weighted split and replica choice, moving into core) once it lands.
 */
export interface RequestRouter {
  /** The replica that takes the next request of `stage`, counted as outstanding; `undefined` when no replica is ready. */
  pick(stage: number): Replica | undefined;
  /** A request routed by {@link pick} left `replica` (served, dropped or refused). */
  release(replica: Replica): void;
  /** `replica` appeared, changed state or variant, or stopped. */
  update(replica: Replica): void;
  /** The assignment's traffic shares of `stage`, by variant index (0 = no traffic). */
  setWeights(stage: number, weights: readonly number[]): void;
}

/** Ready replicas of one (stage, variant), as a min-heap by (outstanding, last picked). */
class Group {
  readonly heap: Replica[] = [];

  add(r: Replica): void {
    r.routerSlot = this.heap.length;
    this.heap.push(r);
    this.up(r.routerSlot);
  }

  remove(r: Replica): void {
    const i = r.routerSlot;
    const last = this.heap.pop()!;
    r.routerSlot = -1;
    if (last === r) return;
    this.heap[i] = last;
    last.routerSlot = i;
    this.down(i);
    this.up(last.routerSlot);
  }

  /** Re-sorts `r` after its key changed. */
  fix(r: Replica): void {
    this.down(r.routerSlot);
    this.up(r.routerSlot);
  }

  private less(a: Replica, b: Replica): boolean {
    return a.outstanding < b.outstanding || (a.outstanding === b.outstanding && (a.lastPick < b.lastPick || (a.lastPick === b.lastPick && a.id < b.id)));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) return;
      const r = l + 1;
      const c = r < h.length && this.less(h[r]!, h[l]!) ? r : l;
      if (!this.less(h[c]!, h[i]!)) return;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    a.routerSlot = j;
    b.routerSlot = i;
  }
}

/**
 * A minimal, allocation-free {@link RequestRouter} for the simulator until `@fulcrum/core/routing`
 * lands: smooth weighted round robin over the variants with a ready replica (weights 3:1 give
 * a a b a), then the ready replica of that variant with the fewest outstanding requests, ties to
 * the one picked longest ago (round robin among equals). O(variants + log replicas) per pick.
 */
export function createInterimRouter(variantsPerStage: readonly number[]): RequestRouter {
  const groups = variantsPerStage.map((n) => Array.from({ length: n }, () => new Group()));
  const weights = variantsPerStage.map((n) => new Float64Array(n));
  const scores = variantsPerStage.map((n) => new Float64Array(n));
  const member = new Map<Replica, Group>();
  let picks = 0;
  return {
    pick(stage) {
      const gs = groups[stage]!;
      const w = weights[stage]!;
      const sc = scores[stage]!;
      let best = -1;
      let total = 0;
      for (let v = 0; v < gs.length; v++) {
        if (!(w[v]! > 0) || gs[v]!.heap.length === 0) continue;
        sc[v]! += w[v]!;
        total += w[v]!;
        if (best < 0 || sc[v]! > sc[best]!) best = v;
      }
      if (best >= 0) sc[best]! -= total;
      else {
        // None of the assigned variants is ready: any ready replica of the stage serves.
        for (let v = 0; v < gs.length && best < 0; v++) if (gs[v]!.heap.length > 0) best = v;
        if (best < 0) return undefined;
      }
      const g = gs[best]!;
      const r = g.heap[0]!;
      r.outstanding++;
      r.lastPick = ++picks;
      g.fix(r);
      return r;
    },
    release(r) {
      r.outstanding--;
      const g = member.get(r);
      if (g) g.fix(r);
    },
    update(r) {
      const want = r.state === READY ? groups[r.stage]![r.variant] : undefined;
      const have = member.get(r);
      if (have === want) return;
      if (have) {
        have.remove(r);
        member.delete(r);
      }
      if (want) {
        want.add(r);
        member.set(r, want);
      }
    },
    setWeights(stage, ws) {
      const w = weights[stage]!;
      const sc = scores[stage]!;
      for (let v = 0; v < w.length; v++) {
        w[v] = ws[v] ?? 0;
        // A changed split converges to its new proportions at once (the gateway resets scores too).
        sc[v] = 0;
      }
    },
  };
}
