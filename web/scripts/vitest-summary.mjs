// Prints Vitest's outcome as one plain line ("vitest: 40 passed, 0 failed") from its JSON report, for CI logs
// whose parser knows pytest's summary but not Vitest's. Exits with the tests' status.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? 'node_modules/.vitest-report.json';
const report = JSON.parse(readFileSync(path, 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(
  `vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(report.success ? 0 : 1);
