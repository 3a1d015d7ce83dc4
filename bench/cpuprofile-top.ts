/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, top N.
 *   npx tsx bench/cpuprofile-top.ts <file.cpuprofile | dir> [N]
 * Given a directory (tsx writes one profile per thread), it picks the busiest profile.
 * Under tsx every frame shows line 1 (tsx strips whitespace); the function names are exact.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function load(file: string): Profile {
  return JSON.parse(readFileSync(file, "utf8")) as Profile;
}

/** Sampled time outside the "(idle)" node. */
function busy(p: Profile): number {
  const idle = new Set(
    p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id),
  );
  return p.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (p.timeDeltas[i] ?? 0)), 0);
}

const [target, topArg = "30"] = process.argv.slice(2);
if (target === undefined) {
  console.error("usage: cpuprofile-top.ts <file.cpuprofile | dir> [N]");
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(target, f))
  : [target];
const profiles = files.map(load).sort((a, b) => busy(b) - busy(a));
const profile = profiles[0];
if (profile === undefined) {
  console.error(`no .cpuprofile in ${target}`);
  process.exit(2);
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const frame = byId.get(id)?.callFrame;
  const where = frame
    ? `${frame.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/")}:${frame.lineNumber + 1}`
    : "";
  const key = `${frame?.functionName || "(anonymous)"} ${where}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg));
for (const [key, us] of top) {
  console.log(
    `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
  );
}
