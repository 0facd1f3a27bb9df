import { InvalidArgumentError } from "commander";

/** Commander parser of an integer ≥ 1; the error names the option and the value. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1, got "${value}"`);
    return n;
  };
}

/** Commander parser of a finite number > 0. */
export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number > 0, got "${value}"`);
    return n;
  };
}

/** Commander parser of a comma-separated list of integers ≥ 1 (`1,2,4`). */
export function positiveIntList(name: string): (value: string) => number[] {
  return (value) => {
    const xs = value.split(",").map((s) => s.trim());
    const ns = xs.map(Number);
    if (xs.some((s) => s === "") || ns.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of integers >= 1, got "${value}"`);
    }
    return ns;
  };
}
