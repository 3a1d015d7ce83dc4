/**
 * CPU profiling driver: runs one runner on one workload in a loop, nothing else.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [A|B|B1k|B100k] [async|sync] [sdax|baseline] [seconds]
 *   npx tsx bench/cpuprofile-top.ts /tmp/prof
 */
import { PICK_USAGE, pickRunner } from "./pick-runner.js";

const args = process.argv.slice(2);
const picked = await pickRunner(args);
if (typeof picked === "string") {
  console.error(`${picked}\nusage: profile.ts ${PICK_USAGE} [seconds]`);
  process.exit(2);
}
const seconds = Number(args[3] ?? "5");
const { runner, workload } = picked;
const end = performance.now() + seconds * 1000;
let runs = 0;
while (performance.now() < end) {
  await runner.run({ runId: runs });
  runs++;
}
const perRun = (seconds * 1e6) / runs;
console.log(
  `${runner.name} ${workload.label} ${workload.kind}: ${runs} runs, ~${perRun.toFixed(0)} µs/run`,
);
