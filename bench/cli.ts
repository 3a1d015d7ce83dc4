import type { Budget } from "./measure.js";

export type Section = "A" | "B" | "scale" | "competitors";
const SECTIONS: readonly Section[] = ["A", "B", "scale", "competitors"];

export interface Options {
  readonly quick: boolean;
  readonly sections: readonly Section[];
  readonly budget: Budget;
  /** Budget for the large scaling workloads (each run takes tens of milliseconds). */
  readonly bigBudget: Budget;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only A|B|scale|competitors[,...]]
  --quick   fewer iterations (a rough look in seconds, not a measurement)
  --only    run only the named sections (comma-separated or repeated)
A full GC runs before each measurement (and before each run of the scaling section).`;

const FULL: Budget = {
  warmupMs: 300,
  minWarmupRounds: 5,
  measureMs: 2500,
  minRounds: 20,
  maxRounds: 20000,
};
const QUICK: Budget = {
  warmupMs: 100,
  minWarmupRounds: 3,
  measureMs: 400,
  minRounds: 5,
  maxRounds: 2000,
};
const FULL_BIG: Budget = {
  warmupMs: 500,
  minWarmupRounds: 3,
  measureMs: 4000,
  minRounds: 10,
  maxRounds: 1000,
};
const QUICK_BIG: Budget = {
  warmupMs: 100,
  minWarmupRounds: 1,
  measureMs: 600,
  minRounds: 3,
  maxRounds: 100,
};

function isSection(value: string): value is Section {
  return (SECTIONS as readonly string[]).includes(value);
}

/** Parses argv; returns an error message (print USAGE, exit 2) for anything unknown. */
export function parseArgs(argv: readonly string[]): Options | string {
  let quick = false;
  const only: Section[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") quick = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      if (value === undefined) return "--only needs a value";
      for (const name of value.split(",")) {
        if (!isSection(name)) return `unknown section "${name}"`;
        only.push(name);
      }
    } else if (arg === "--help" || arg === "-h") return "";
    else return `unknown argument "${arg}"`;
  }
  return {
    quick,
    sections: only.length > 0 ? SECTIONS.filter((s) => only.includes(s)) : SECTIONS,
    budget: quick ? QUICK : FULL,
    bigBudget: quick ? QUICK_BIG : FULL_BIG,
  };
}
