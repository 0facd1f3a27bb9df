// Prints vitest's JSON report as the plain line CI reads: `N passed, N failed[, N skipped]`.
// Exits 1 when the report is missing, unreadable, or counts a failure or an empty run.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? "vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (err) {
  console.log(`no test report at ${path} (${err.message})`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Test files that failed without a failed test (they failed to load or in a hook) count as one
// failure each: their tests never ran. (vitest's numFailedTestSuites also counts describe blocks.)
const failed = (report.numFailedTests ?? 0) + countFilesFailedWithoutTests(report);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function countFilesFailedWithoutTests(r) {
  return (r.testResults ?? []).filter((s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed")).length;
}
