/**
 * sdax benchmark report: `npm run bench -- [--quick] [--only A|B|scale|competitors]`.
 * Prints ratios against hand-written Promise.all code; it never fails on timing.
 */
import { cpus } from "node:os";
import { parseArgs, USAGE } from "./cli.js";
import { loadFactories } from "./factories.js";
import { forceGc } from "./gc.js";
import { runCompetitorSection } from "./section-competitors.js";
import { runScaleSection } from "./section-scale.js";
import { runWorkloadSection, SHAPES } from "./section-workloads.js";

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (typeof opts === "string") {
    if (opts !== "") console.error(opts);
    console.log(USAGE);
    process.exitCode = opts === "" ? 0 : 2;
    return;
  }
  const gc = forceGc ? "full GC before each measurement" : "unavailable";
  console.log(`sdax bench: node ${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}`);
  console.log(
    `mode: ${opts.quick ? "quick" : "full"}; sections: ${opts.sections.join(", ")}; gc: ${gc}`,
  );
  const f = await loadFactories();
  const findings: string[] = [];
  for (const section of opts.sections) {
    if (section === "A" || section === "B") {
      findings.push(...(await runWorkloadSection(SHAPES[section], f, opts)));
    } else if (section === "scale") findings.push(...(await runScaleSection(f, opts)));
    else findings.push(...(await runCompetitorSection(f, opts)));
  }
  console.log("\n== Summary ==");
  if (f.sdax === undefined) console.log("sdax was not measured (src/index.ts missing or failing).");
  else if (findings.length === 0) console.log("every measured sdax target met.");
  else for (const finding of findings) console.log(`missed target: ${finding}`);
}

await main();
