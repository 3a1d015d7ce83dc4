/**
 * Renders the pictures of docs/observability.md: the demo's failing workflow (part 3 of
 * `npm start`) as a flowchart and its run as a Gantt chart, and its graph-mode workflow (part
 * 4) as a flowchart, from the Mermaid text sdax makes, to docs/pictures/*.svg, beside the
 * text in docs/pictures/*.mmd.
 *
 * The run is made on a VirtualClock, so its times, and the pictures, are the same every time.
 * Mermaid is bundled with esbuild into an HTML page that renders both texts; headless
 * Chromium loads it (`--dump-dom`) and the SVGs are read from the page. No browser is
 * downloaded: Chromium is the Debian package `chromium`, or CHROMIUM=/path/to/chrome.
 *
 *   npm run pictures
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { failingRunCharts } from "../examples/demo.js";
import { Timeline } from "../examples/demo-kit.js";
import { graphProcessor } from "../examples/graph.js";
import { VirtualClock } from "../src/index.js";
import { findChromium, pageResult } from "./chromium.js";
import { root } from "./package-tools.js";

/** What the page is asked to draw: file name (without extension) to Mermaid text. */
type Charts = Readonly<Record<string, string>>;

const PAGE_ENTRY = `
import mermaid from "mermaid";

mermaid.initialize({
  startOnLoad: false,
  theme: "default",
  securityLevel: "strict",
  // SVG text rather than HTML in foreignObject: the files stay plain SVG, shown the same by
  // any viewer, an <img> tag included.
  htmlLabels: false,
  flowchart: { htmlLabels: false },
  gantt: { useWidth: 900 },
});
const charts = JSON.parse(document.getElementById("charts").textContent);
const out = {};
for (const [name, text] of Object.entries(charts)) {
  try {
    out[name] = { svg: (await mermaid.render("sdax-" + name, text)).svg };
  } catch (error) {
    out[name] = { error: String((error && error.stack) || error) };
  }
}
document.getElementById("result").textContent = encodeURIComponent(JSON.stringify(out));
`;

/** Writes the page and its bundle into `dir`; returns the page's URL. */
async function page(dir: string, charts: Charts): Promise<string> {
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: root, loader: "js", sourcefile: "page.js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  // The bundle goes in a file of its own: inline, a "</script>" in its text would end the tag.
  writeFileSync(join(dir, "page.js"), bundle.outputFiles[0]!.contents);
  // JSON in a script element of an unknown type is inert; "<" is escaped so no text ends it.
  const data = JSON.stringify(charts).replaceAll("<", "\\u003c");
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>sdax pictures</title>' +
      `<script id="charts" type="application/json">${data}</script>` +
      '<pre id="result"></pre><script type="module" src="page.js"></script>\n',
  );
  return pathToFileURL(join(dir, "index.html")).href;
}

/** Loads the page in headless Chromium and returns each chart's SVG. */
function render(chromium: string, url: string, dir: string): Record<string, string> {
  const results = pageResult(chromium, url, dir, {
    tool: "render-pictures",
    budgetMs: 20_000,
    timeoutMs: 120_000,
    // The page is a file: URL loading a module beside it.
    extraFlags: ["--allow-file-access-from-files"],
  }) as Record<string, { svg?: string; error?: string }>;
  const svgs: Record<string, string> = {};
  for (const [name, result] of Object.entries(results)) {
    if (result.svg === undefined) throw new Error(`render-pictures: ${name}: ${result.error}`);
    svgs[name] = result.svg;
  }
  return svgs;
}

/**
 * The demo's charts: part 3's workflow and its run (on a VirtualClock), and part 4's workflow
 * (graph mode, with a join).
 */
export async function demoCharts(): Promise<Charts> {
  const io = { log: () => {}, clock: new VirtualClock() };
  const charts = failingRunCharts(io);
  await io.clock.runAll();
  const { flowchart, gantt } = await charts;
  const graph = graphProcessor(io, new Timeline(io)).toMermaid({ direction: "LR" });
  return { "demo-flowchart": flowchart, "demo-gantt": gantt, "demo-graph-flowchart": graph };
}

if (import.meta.filename === process.argv[1]) {
  const charts = await demoCharts();
  const chromium = findChromium("render-pictures");
  const dir = mkdtempSync(join(tmpdir(), "sdax-pictures-"));
  try {
    const svgs = render(chromium, await page(dir, charts), dir);
    const out = join(root, "docs", "pictures");
    for (const [name, text] of Object.entries(charts)) {
      writeFileSync(join(out, `${name}.mmd`), text);
      writeFileSync(join(out, `${name}.svg`), `${svgs[name]}\n`);
      console.log(`render-pictures: docs/pictures/${name}.svg and .mmd`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
