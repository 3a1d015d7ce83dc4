export interface Options {
  readonly quick: boolean;
  readonly json: boolean;
  /** Benchmark ids to run (all when empty). */
  readonly only: readonly string[];
  readonly rounds: number;
  /** Fresh processes each benchmark runs in; their rounds are pooled. */
  readonly processes: number;
  readonly sampleMs: number;
  /** Internal: run only this benchmark, in this process, and print its result as JSON. */
  readonly one: string | undefined;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only W1,W3,...] [--rounds N] [--processes N] [--json]
  --quick   fewer, shorter samples: a rough look, not a measurement
  --only    run only the named benchmarks (W1 W2 W3 W4-10k W4-100k W5 W6 W7 W8 W9 W10 W11; W4 = both)
  --rounds     rounds of samples per process (default 6; quick 5)
  --processes  fresh processes per benchmark, their rounds pooled (default 4; quick 1)
  --json    the last line is {"results":[{"workload","impl","medianMs","ratioVsRaw","p25","p75"}],...}
Run it on a quiet machine: every other process is noise.`;

/** Parses argv; returns an error message (print USAGE, exit 2) for anything unknown. */
export function parseArgs(argv: readonly string[], ids: readonly string[]): Options | string {
  let quick = false;
  let json = false;
  let rounds: number | undefined;
  let one: string | undefined;
  let processes: number | undefined;
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
    } else if (arg === "--processes") {
      processes = Number(argv[++i]);
      if (!Number.isInteger(processes) || processes < 1) {
        return "--processes needs a whole number >= 1";
      }
    } else if (arg === "--one") {
      one = argv[++i];
      if (one === undefined || !ids.includes(one)) return `--one needs a benchmark id`;
    } else if (arg === "--help" || arg === "-h") return "";
    else return `unknown argument "${arg}"`;
  }
  return {
    quick,
    json,
    only,
    rounds: rounds ?? (quick ? 5 : 6),
    processes: processes ?? (quick ? 1 : 4),
    sampleMs: quick ? 40 : 150,
    one,
  };
}
