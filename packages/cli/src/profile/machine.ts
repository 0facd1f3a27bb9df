import { createRequire } from "node:module";
import os from "node:os";
import type { Machine } from "@fulcrum/core/perf";

/** `os.loadavg()` as the profile schema's triple (1, 5, 15 min). */
export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return [a, b, c];
}

function onnxruntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Describes this machine for a profile; the caller supplies the load averages it sampled. */
export function machineInfo(loadAverageAt: { start: [number, number, number]; end: [number, number, number] }): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    logicalCores: Math.max(1, cpus.length),
    platform: os.platform(),
    arch: os.arch(),
    osRelease: os.release(),
    totalMemBytes: os.totalmem(),
    node: process.version,
    onnxruntime: onnxruntimeVersion(),
    loadAverage: loadAverageAt,
  };
}
