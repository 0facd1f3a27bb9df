#!/usr/bin/env node
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`fulcrum: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
