/**
 * Where a runner allocates: V8's sampling heap profiler, counting objects that young and old
 * GCs already collected (garbage is what costs GC time), as bytes per task and run.
 *   node --no-turbo-inlining --import tsx bench/alloc-sites.ts [W1|W2|...] [sdax|raw] [N]
 * --no-turbo-inlining keeps optimised code from folding callees' allocations into callers.
 */
import { Session } from "node:inspector/promises";
import { PICK_USAGE, pickRunner } from "./pick-runner.js";

interface SamplingNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: SamplingNode[];
}

const args = process.argv.slice(2);
const picked = pickRunner(args);
if (typeof picked === "string") {
  console.error(`${picked}\nusage: alloc-sites.ts ${PICK_USAGE} [N]`);
  process.exit(2);
}
const { run, workload } = picked;
const taskCount = workload.tasks.length;
const runs = taskCount >= 50_000 ? 5 : 50;
for (let i = 0; i < 20; i++) await run({ runId: i });
const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 1024,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
for (let i = 0; i < runs; i++) await run({ runId: i });
const { profile } = await session.post("HeapProfiler.stopSampling");
session.disconnect();

const bySite = new Map<string, number>();
let total = 0;
const walk = (node: SamplingNode) => {
  const { functionName, url } = node.callFrame;
  const key = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(src|bench|node_modules)\//, "$1/")}`;
  bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child);
};
walk(profile.head as SamplingNode);
const perTask = (bytes: number) => (bytes / runs / taskCount).toFixed(0).padStart(6);
console.log(`${picked.name}: ~${perTask(total)} B/task (sampled)`);
const top = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(args[2] ?? "12"));
for (const [site, bytes] of top) console.log(`${perTask(bytes)} B/task  ${site}`);
