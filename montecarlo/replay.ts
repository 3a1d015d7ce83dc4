/**
 * Replaying: the exact command that regenerates a workflow from its seed, and saved cases (a
 * shrunk failing case as JSON) that `--replay FILE` runs again.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliOptions, faultsFlag } from "./cli-args.js";
import type { Case } from "./model.js";

/** The generation flags of `opts`, as they must be passed again to regenerate the same cases. */
export function generationFlags(opts: CliOptions): string[] {
  const flags = [
    `--mode ${opts.mode}`,
    `--max-levels ${opts.maxLevels}`,
    `--fail-rate ${opts.failRate}`,
    `--concurrency ${opts.concurrency}`,
  ];
  if (opts.maxTasks !== undefined) flags.push(`--max-tasks ${opts.maxTasks}`);
  if (opts.realTimers) flags.push("--real-timers");
  if (!opts.listenerAborts) flags.push("--no-listener-abort");
  if (opts.faults !== undefined) flags.push(`--faults ${faultsFlag(opts.faults) || "none"}`);
  return flags;
}

/** The command that runs workflow `workflow` (optionally one run of it) again. */
export function workflowCommand(opts: CliOptions, workflow: number, run?: number): string {
  const only = run === undefined ? "" : ` --only-run ${run}`;
  return `npm run montecarlo -- --seed ${opts.seed} --only-workflow ${workflow}${only} ${generationFlags(opts).join(" ")}`;
}

export function replayCommand(file: string): string {
  return `npm run montecarlo -- --replay ${file}`;
}

/** What a case file holds. */
export interface SavedCase {
  readonly format: "sdax-montecarlo-case/1";
  readonly seed: number;
  readonly workflow: number;
  readonly invariant: string;
  readonly case: Case;
}

/** Saves a case to the temp directory; returns its path. */
export function saveCase(saved: Omit<SavedCase, "format">): string {
  const file = join(tmpdir(), `sdax-montecarlo-${saved.seed}-w${saved.workflow}.json`);
  const body: SavedCase = { format: "sdax-montecarlo-case/1", ...saved };
  writeFileSync(file, `${JSON.stringify(body, null, 1)}\n`);
  return file;
}

/** Loads a saved case; throws an Error saying what is wrong with the file. */
export function loadCase(file: string): SavedCase {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read case file ${file}: ${(error as Error).message}`);
  }
  const saved = data as Partial<SavedCase>;
  const c = saved?.case;
  if (
    saved?.format !== "sdax-montecarlo-case/1" ||
    c === undefined ||
    !Array.isArray(c.workflow?.tasks) ||
    !Array.isArray(c.runs) ||
    (c.workflow.mode !== "levels" && c.workflow.mode !== "graph")
  ) {
    throw new Error(`${file} is not a montecarlo case file (format sdax-montecarlo-case/1)`);
  }
  return saved as SavedCase;
}
