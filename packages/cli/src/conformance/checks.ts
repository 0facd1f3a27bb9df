import type { ClauseVerdict } from "./types.js";

/** Collects the problems a clause finds; its verdict passes only when there are none. */
export class Checks {
  private readonly problems: string[] = [];

  /** Records `problem` unless `ok`; returns `ok`. */
  expect(ok: boolean, problem: string): boolean {
    if (!ok) this.problems.push(problem);
    return ok;
  }

  get failed(): boolean {
    return this.problems.length > 0;
  }

  /** `fail` listing every problem, else `pass` with `detail`. */
  verdict(detail: string): ClauseVerdict {
    return this.problems.length > 0 ? { status: "fail", detail: this.problems.join("; ") } : { status: "pass", detail };
  }
}

/** A failing verdict. */
export function fail(detail: string): ClauseVerdict {
  return { status: "fail", detail };
}
