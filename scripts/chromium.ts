/**
 * Headless Chromium for the scripts that run a page in a real browser (browser-check,
 * render-pictures): find the binary, load a page, and read what it wrote into its
 * `<pre id="result">` (URI-encoded JSON).
 *
 * Chromium: the Debian package `chromium` (`apt-get install -y chromium`); another binary can
 * be named with CHROMIUM=/path/to/chrome.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** The first Chromium that answers `--version`; throws, naming `tool`, if none does. */
export function findChromium(tool: string): string {
  for (const candidate of [process.env.CHROMIUM, "chromium", "chromium-browser", "google-chrome"]) {
    if (candidate === undefined || candidate === "") continue;
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `${tool}: no Chromium found; install it (Debian: apt-get install -y chromium) ` +
      "or set CHROMIUM=/path/to/chrome",
  );
}

/** How one page is loaded. */
export interface PageLoad {
  /** Names the script in errors. */
  readonly tool: string;
  /** Virtual time the page gets for its promises to settle before the DOM is printed. */
  readonly budgetMs: number;
  /** Real time allowed for the whole load. */
  readonly timeoutMs: number;
  /** Flags beyond the common ones. */
  readonly extraFlags?: readonly string[];
}

/**
 * Loads `url` headless (with the flags that keep Chromium off this machine's closed network)
 * in a fresh profile under `dir`, and returns the page's result, parsed.
 */
export function pageResult(chromium: string, url: string, dir: string, load: PageLoad): unknown {
  const dom = execFileSync(
    chromium,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      ...(load.extraFlags ?? []),
      `--user-data-dir=${join(dir, "profile")}`,
      `--virtual-time-budget=${load.budgetMs}`,
      "--dump-dom",
      url,
    ],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: load.timeoutMs,
      maxBuffer: 64 << 20,
    },
  );
  const match = /<pre id="result">([^<]*)<\/pre>/.exec(dom);
  if (match === null || match[1] === "") {
    throw new Error(`${load.tool}: the page wrote no result; its DOM:\n${dom.slice(0, 2000)}`);
  }
  return JSON.parse(decodeURIComponent(match[1]!));
}
