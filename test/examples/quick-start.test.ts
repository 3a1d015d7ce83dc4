/**
 * The README's Quick Start: the code block in README.md is examples/quick-start.ts (its
 * `quick-start` region), and running it prints the Python sdax example's lines in its order. Its sleeps
 * come from `node:timers/promises`, mocked here onto a VirtualClock.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../../src/index.js";
import { drive } from "./drive.js";

const clock = vi.hoisted(() => ({ current: undefined as VirtualClock | undefined }));

vi.mock("node:timers/promises", () => ({
  setTimeout: (ms: number) =>
    new Promise<void>((resolve) => {
      const c = clock.current;
      if (c === undefined) throw new Error("no virtual clock set");
      c.setTimeout(resolve, ms);
    }),
}));

const root = new URL("../../", import.meta.url);

function quickStartRegion(): string {
  const source = readFileSync(new URL("examples/quick-start.ts", root), "utf8");
  const begin = source.indexOf("// #region quick-start\n");
  const end = source.indexOf("// #endregion quick-start");
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return source.slice(begin + "// #region quick-start\n".length, end);
}

function readmeQuickStart(): string {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const section = readme.slice(readme.indexOf("## Quick Start"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (m === null) throw new Error("README.md: no ```ts block under ## Quick Start");
  return m[1] ?? "";
}

describe("README Quick Start", () => {
  afterEach(() => {
    clock.current = undefined;
    vi.restoreAllMocks();
  });

  it("README.md opens with the set-up commands `npm install && npm start` and `npm test`", () => {
    const readme = readFileSync(new URL("README.md", root), "utf8");
    const start = readme.indexOf("npm install && npm start");
    const test = readme.indexOf("npm test");
    expect(start).toBeGreaterThan(0);
    expect(test).toBeGreaterThan(start);
    expect(start).toBeLessThan(readme.indexOf("## Quick Start"));
  });

  it("the README's Quick Start code is examples/quick-start.ts, importing from the package", () => {
    const expected = `${quickStartRegion().replace('from "../src/index.js"', 'from "sdax"')}\nawait main();\n`;
    expect(readmeQuickStart()).toBe(expected);
  });

  it("INV-2 INV-5 INV-10 running it prints the Python sdax example's lines in its order", async () => {
    clock.current = new VirtualClock();
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    const { main } = await import("../../examples/quick-start.js");
    await drive(clock.current, main());
    expect(printed).toEqual([
      "Level 1: Checking authentication...",
      "Level 1: Loading feature flags...",
      "Auth successful.",
      "Flags loaded.",
      "Level 2: Fetching user data...",
      "User data fetched.",
      "Tearing down db connection...",
      "Connection closed.",
      "\nWorkflow completed successfully!",
    ]);
    expect(clock.current.now()).toBe(200 + 100 + 50);
  });
});
