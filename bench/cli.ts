export interface Options {
  readonly quick: boolean;
  readonly json: boolean;
  /** Benchmark ids to run (all when empty). */
  readonly only: readonly string[];
  readonly rounds: number;
  readonly sampleMs: number;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only W1,W3,...] [--rounds N] [--json]
  --quick   fewer, shorter samples: a rough look, not a measurement
  --only    run only the named benchmarks (W1 W2 W3 W4-10k W4-100k W5 W6 W7 W8 W9; W4 = both)
  --rounds  rounds of samples per benchmark (default 15; quick 5)
  --json    the last line is {"results":[{"workload","impl","medianMs","ratioVsRaw","p25","p75"}],...}
Run it on a quiet machine: every other process is noise.`;

/** Parses argv; returns an error message (print USAGE, exit 2) for anything unknown. */
export function parseArgs(argv: readonly string[], ids: readonly string[]): Options | string {
  let quick = false;
  let json = false;
  let rounds: number | undefined;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") quick = true;
    else if (arg === "--json") json = true;
    else if (arg === "--rounds") {
      rounds = Number(argv[++i]);
      if (!Number.isInteger(rounds) || rounds < 1) return "--rounds needs a whole number >= 1";
    } else if (arg === "--only") {
      const value = argv[++i];
      if (value === undefined) return "--only needs a value";
      for (const name of value.split(",")) {
        const matches = ids.filter((id) => id === name || id.startsWith(`${name}-`));
        if (matches.length === 0) return `unknown benchmark "${name}" (known: ${ids.join(", ")})`;
        only.push(...matches);
      }
    } else if (arg === "--help" || arg === "-h") return "";
    else return `unknown argument "${arg}"`;
  }
  return {
    quick,
    json,
    only,
    rounds: rounds ?? (quick ? 5 : 15),
    sampleMs: quick ? 40 : 150,
  };
}
