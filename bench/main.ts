/**
 * sdax benchmarks: `npm run bench -- [--quick] [--only W1,W3] [--json]`.
 * Ratios against hand-written Promise.all code doing the same calls, in one process; see
 * bench/README.md for the method. A report, never a test: it fails only when an
 * implementation makes the wrong number of calls.
 */
import { cpus } from "node:os";
import { parseArgs, USAGE } from "./cli.js";
import { forceGc } from "./gc.js";
import { heapPerRun } from "./heap.js";
import { raw } from "./impls/raw.js";
import { sdax } from "./impls/sdax.js";
import { costRatios, ratios, type Samples, sample } from "./method.js";
import { median, quantile } from "./stats.js";
import { BENCHES, BUILD_TASKS, CONCURRENT_RUNS, smallWorkload } from "./workloads.js";

interface Row {
  readonly workload: string;
  readonly impl: string;
  readonly medianMs: number;
  readonly ratioVsRaw: number | null;
  readonly p25: number | null;
  readonly p75: number | null;
}

interface Target {
  readonly workload: string;
  readonly measure: string;
  readonly value: number;
  readonly p25: number;
  readonly p75: number;
  readonly target: string;
  readonly met: boolean;
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

function spread(values: readonly number[]) {
  return { value: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
}

async function main(): Promise<void> {
  const ids = BENCHES.map((b) => b.id);
  const opts = parseArgs(process.argv.slice(2), ids);
  if (typeof opts === "string") {
    if (opts !== "") console.error(opts);
    console.error(USAGE);
    process.exitCode = opts === "" ? 0 : 2;
    return;
  }
  // With --json, stdout carries only the JSON line.
  const say = (text: string): void => {
    (opts.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  if (forceGc === undefined) say("warning: no forced GC available; samples will be noisy");
  say(`sdax bench: node ${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}`);
  say(
    `${opts.rounds} rounds, samples of ~${opts.sampleMs} ms after a forced GC, round-robin with a rotating start`,
  );

  const rows: Row[] = [];
  const targets: Target[] = [];
  const all = new Map<string, Samples>();
  const chosen = BENCHES.filter((b) => opts.only.length === 0 || opts.only.includes(b.id));
  for (const bench of chosen) {
    say(`\n${bench.id}: ${bench.what}`);
    const samples = await sample(bench.contenders(), opts);
    all.set(bench.id, samples);
    const hasRaw = samples.has("raw");
    for (const [impl, times] of samples) {
      const r = hasRaw ? ratios(samples, impl, "raw") : [];
      const row: Row = {
        workload: bench.id,
        impl,
        medianMs: median(times),
        ratioVsRaw: hasRaw ? median(r) : null,
        p25: hasRaw ? quantile(r, 0.25) : null,
        p75: hasRaw ? quantile(r, 0.75) : null,
      };
      rows.push(row);
      const ratio =
        row.ratioVsRaw === null
          ? ""
          : `  ${fmt(row.ratioVsRaw)}x raw  (p25-p75 ${fmt(row.p25!)}-${fmt(row.p75!)})`;
      say(`  ${impl.padEnd(10)} ${fmt(row.medianMs, 3).padStart(10)} ms${ratio}`);
    }
    if (bench.unsupported !== undefined) say(`  not run: ${bench.unsupported}`);
    targets.push(...targetsOf(bench.id, samples));
  }

  const growth = growthTargets(all);
  targets.push(...growth);
  if (chosen.some((b) => b.id === "W5")) {
    const perRun = {
      sdax: await heapPerRun(sdax, smallWorkload, CONCURRENT_RUNS),
      raw: await heapPerRun(raw, smallWorkload, CONCURRENT_RUNS),
    };
    say(`\nW5 heap per in-flight run: sdax ${fmt(perRun.sdax, 0)} B, raw ${fmt(perRun.raw, 0)} B`);
    const ratio = perRun.sdax / perRun.raw;
    targets.push({
      workload: "W5",
      measure: "heap per in-flight run vs raw",
      value: ratio,
      p25: ratio,
      p75: ratio,
      target: "<= 1.5x",
      met: ratio <= 1.5,
    });
  }

  say("\nTargets:");
  for (const t of targets) {
    say(
      `  ${t.met ? "met   " : "MISSED"} ${t.workload} ${t.measure}: ${fmt(t.value)} (p25-p75 ${fmt(t.p25)}-${fmt(t.p75)}), target ${t.target}`,
    );
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ results: rows, targets })}\n`);
}

/** The targets one benchmark's samples decide. */
function targetsOf(id: string, samples: Samples): Target[] {
  const out: Target[] = [];
  const vsRaw = (limit: number, label = `<= ${limit}x raw`) => {
    const s = spread(ratios(samples, "sdax", "raw"));
    out.push({ workload: id, measure: "sdax vs raw", ...s, target: label, met: s.value <= limit });
  };
  if (id === "W1" || id === "W2" || id === "W5") vsRaw(1.5);
  if (id === "W3") vsRaw(1.0);
  if (id === "W6") {
    const s = spread(ratios(samples, "sdax", "sdax-bare"));
    out.push({
      workload: id,
      measure: "with a listener vs the bare run",
      ...s,
      target: "<= 3x",
      met: s.value <= 3,
    });
  }
  if (id === "W7" || id === "W8") {
    const s = spread(costRatios(samples, ["sdax", "sdax-bare"], ["raw", "raw-bare"]));
    out.push({
      workload: id,
      measure: `sdax's cost of the ${id === "W7" ? "signal" : "timeout"} vs raw code's`,
      ...s,
      target: "<= 1.2x",
      met: s.value <= 1.2,
    });
  }
  if (id === "W9") {
    const perTask = (samples.get("sdax") ?? []).map((ms) => (ms * 1000) / BUILD_TASKS);
    const s = spread(perTask);
    out.push({
      workload: id,
      measure: "µs per task",
      ...s,
      target: "<= 0.5",
      met: s.value <= 0.5,
    });
  }
  for (const peer of ["effect", "p-graph", "async"] as const) {
    if (!samples.has(peer)) continue;
    const s = spread(ratios(samples, "sdax", peer));
    out.push({
      workload: id,
      measure: `sdax vs ${peer}`,
      ...s,
      target: "< 1x",
      met: s.value < 1,
    });
  }
  return out;
}

/** W4: sdax's growth from 10k to 100k tasks must not exceed raw's own growth. */
function growthTargets(all: Map<string, Samples>): Target[] {
  const small = all.get("W4-10k");
  const big = all.get("W4-100k");
  if (small === undefined || big === undefined) return [];
  const g = (impl: "sdax" | "raw") => median(big.get(impl)!) / median(small.get(impl)!);
  const value = g("sdax") / g("raw");
  return [
    {
      workload: "W4",
      measure: `growth 10k -> 100k, sdax ${fmt(g("sdax"), 1)}x over raw ${fmt(g("raw"), 1)}x`,
      value,
      p25: value,
      p75: value,
      target: "<= 1",
      met: value <= 1,
    },
  ];
}

await main();
