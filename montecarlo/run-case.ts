/** Runs one case: builds its workflow's processor and executes all its runs at once on it. */
import { type BuiltWorkflow, buildWorkflow } from "./build.js";
import { checkRun, type Violation } from "./checks/index.js";
import { executeRun, type RunRecord } from "./execute-run.js";
import type { Case } from "./model.js";

/** A violation and the run (index in the case) it was found in. */
export interface RunViolation {
  readonly run: number;
  readonly violation: Violation;
}

export interface CaseResult {
  readonly built: BuiltWorkflow;
  readonly records: readonly RunRecord[];
  readonly violations: readonly RunViolation[];
}

export async function runCase(c: Case): Promise<CaseResult> {
  const built = buildWorkflow(c.workflow);
  const records = await Promise.all(c.runs.map((r) => executeRun(built, r)));
  const violations: RunViolation[] = [];
  records.forEach((record, run) => {
    for (const violation of checkRun(built, record)) violations.push({ run, violation });
  });
  return { built, records, violations };
}
