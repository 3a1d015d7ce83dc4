/**
 * CPU profiling driver: runs one implementation on one workload in a loop, nothing else.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [W1|W2|...] [sdax|raw] [seconds]
 *   npx tsx bench/cpuprofile-top.ts /tmp/prof
 */
import { PICK_USAGE, pickRunner } from "./pick-runner.js";

const args = process.argv.slice(2);
const picked = pickRunner(args);
if (typeof picked === "string") {
  console.error(`${picked}\nusage: profile.ts ${PICK_USAGE} [seconds]`);
  process.exit(2);
}
const seconds = Number(args[2] ?? "5");
const end = performance.now() + seconds * 1000;
let runs = 0;
while (performance.now() < end) {
  await picked.run({ runId: runs });
  runs++;
}
console.log(`${picked.name}: ${runs} runs, ~${((seconds * 1e6) / runs).toFixed(0)} µs/run`);
