/**
 * Browser check: the engine and VirtualClock run in a real browser, where there is no
 * `setImmediate` and no `process`.
 *
 * Bundles scripts/browser/workflow.ts (a VirtualClock run where a task times out and is retried,
 * a sibling is cancelled and cleanup runs; a PhaseRunner closed by `Symbol.asyncDispose`; an
 * option refused) with esbuild for the browser into an HTML page, loads it in headless Chromium
 * (`--dump-dom`), reads the result the page wrote, and checks it against the same workflow run
 * in Node: the two must be identical, and the failure, the cancellation and the cleanup must be
 * there. Exits 1 otherwise.
 *
 * Chromium: the Debian package `chromium` (`apt-get install -y chromium`); another binary can be
 * named with CHROMIUM=/path/to/chrome.
 *
 *   npm run test:browser
 */

import { deepStrictEqual } from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

import { type WorkflowResult, workflow } from "./browser/workflow.js";
import { findChromium, pageResult } from "./chromium.js";
import { root } from "./package-tools.js";

interface PageResult {
  readonly environment: { readonly setImmediate: string; readonly process: string };
  readonly result?: WorkflowResult;
  readonly error?: string;
}

const PAGE_ENTRY = `
import { workflow } from "./scripts/browser/workflow.ts";

const environment = { setImmediate: typeof setImmediate, process: typeof process };
function show(value) {
  const out = document.getElementById("result");
  out.textContent = encodeURIComponent(JSON.stringify(value));
}
workflow().then(
  (result) => show({ environment, result }),
  (error) => show({ environment, error: String(error && error.stack || error) }),
);
`;

async function page(dir: string): Promise<string> {
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: root, loader: "ts", sourcefile: "page.ts" },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  // The bundle goes in a file of its own: inline, a "</script>" in its text would end the tag.
  writeFileSync(join(dir, "page.js"), bundle.outputFiles[0]!.contents);
  const html = join(dir, "index.html");
  writeFileSync(
    html,
    '<!doctype html><meta charset="utf-8"><title>sdax</title><pre id="result"></pre>' +
      '<script src="page.js"></script>\n',
  );
  return pathToFileURL(html).href;
}

function runChromium(chromium: string, url: string, dir: string): PageResult {
  return pageResult(chromium, url, dir, {
    tool: "browser-check",
    budgetMs: 10_000,
    timeoutMs: 60_000,
  }) as PageResult;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`browser-check: ${what}`);
}

const chromium = findChromium("browser-check");
console.log(execFileSync(chromium, ["--version"], { encoding: "utf8" }).trim());
const dir = mkdtempSync(join(tmpdir(), "sdax-browser-"));
try {
  const url = await page(dir);
  const inBrowser = runChromium(chromium, url, dir);
  if (inBrowser.error !== undefined) throw new Error(`the page threw:\n${inBrowser.error}`);
  const browser = inBrowser.result!;
  console.log(JSON.stringify(inBrowser, null, 2));

  expect(inBrowser.environment.setImmediate === "undefined", "the page has setImmediate");
  expect(inBrowser.environment.process === "undefined", "the page has process");
  expect(
    JSON.stringify(browser.failures) === '["fetch.execute: TaskTimeoutError attempts=2"]',
    "fetch.execute should fail by timeout after 2 attempts",
  );
  expect(browser.log.includes("report cancelled @2160"), "report should be cancelled");
  expect(
    browser.log.includes("db close @2160") && browser.log.includes("cache close @2160"),
    "db and cache should be cleaned up",
  );
  expect(browser.violations.length === 0, "checkTrace found violations");
  deepStrictEqual(browser, await workflow(), "the browser and Node results differ");
  console.log("browser-check: ok (Chromium and Node agree)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
