/**
 * Every ```ts block of README.md and docs/*.md is type-checked against the real API ("sdax"
 * resolved to src/index.ts, the project's strict settings), and run.
 *
 * How a page says what to do with a block (an HTML comment on the line right above its fence,
 * invisible on GitHub):
 *
 * - nothing: the block is type-checked and run as an ES module. It must run as it is: no
 *   network (`fetch` is replaced, and calling it fails the block), no long real waits (sleeps
 *   from "node:timers/promises" and timers on a VirtualClock take no real time; keep any real
 *   delay to a few tens of milliseconds), no unhandled rejection.
 * - `<!-- not run: the reason -->`: type-checked only (it calls a real service, or it declares
 *   what it uses with `declare`).
 * - `<!-- continues -->`: the block builds on the block before it on the same page; they are
 *   checked and run as one module.
 *
 * A failure names the page and the line of the block (and of the failing line when known).
 * See doc-snippets-kit.ts for how blocks are found, checked and run.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  blocksOf,
  cleanUp,
  documentationPages,
  documentationUnits,
  runUnit,
  typecheck,
  unitsOf,
} from "./doc-snippets-kit.js";

const units = documentationUnits();

describe("documentation code examples", () => {
  it("finds the examples of README.md and of every page under docs/", () => {
    const pages = documentationPages();
    expect(pages).toContain("README.md");
    expect(pages).toContain("docs/getting-started.md");
    expect(pages).toContain("docs/timeouts-retries-cancellation.md");
    expect(pages).toContain("docs/migrating-from-python.md");
    expect(pages).toContain("docs/faq.md");
    for (const page of ["README.md", "docs/getting-started.md", "docs/faq.md"]) {
      expect(units.some((u) => u.page === page)).toBe(true);
    }
  });

  it("every example compiles against src/index.ts; a wrong one is reported at its page and line", () => {
    // A canary with a wrong phase name on its second line proves the check reports what it should.
    const canary = unitsOf(
      blocksOf(
        "canary.md",
        '# canary\n\n```ts\nimport { task } from "sdax";\nexport const t = task<object>("x", { exec: () => {} });\n```\n',
      ),
    );
    const problems = typecheck([...units, ...canary]);
    const canaryProblems = problems.filter((p) => p.startsWith("canary.md"));
    expect(canaryProblems.join("\n")).toMatch(/^canary\.md:5: .*exec/);
    expect(problems.filter((p) => !p.startsWith("canary.md"))).toEqual([]);
  }, 30_000);

  it("markers are checked: an unknown marker or a `not run` without a reason is refused", () => {
    expect(() => blocksOf("m.md", "<!-- not run -->\n```ts\nconst a = 1;\n```\n")).toThrow(
      /m\.md:1: unknown marker/,
    );
    expect(() => blocksOf("m.md", "<!-- continues -->\n```ts\nconst a = 1;\n```\n")).not.toThrow();
    expect(() =>
      unitsOf(blocksOf("m.md", "<!-- continues -->\n```ts\nconst a = 1;\n```\n")),
    ).toThrow(/m\.md:2: <!-- continues --> on the page's first block/);
  });
});

describe("documentation code examples run", () => {
  // What the examples print is kept out of the test output. An example that is run must not
  // use the network: `fetch` is replaced, and a call to it fails the example's test.
  const fetched: unknown[] = [];
  beforeEach(() => {
    fetched.length = 0;
    for (const method of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation(() => {});
    }
    vi.stubGlobal("fetch", (input: unknown) => {
      fetched.push(input);
      return Promise.reject(new Error("an example that is run must not use the network"));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });
  afterAll(() => cleanUp());

  it("a block that throws fails, naming its page and line", async () => {
    const [thrower] = unitsOf(
      blocksOf(
        "canary.md",
        'text\n\n```ts\nconst n: number = 1;\nif (n === 1) throw new Error("boom");\n```\n',
      ),
    );
    await expect(runUnit(thrower!)).rejects.toThrow(
      /^canary\.md:3: the example threw \(at canary\.md:5\): Error: boom$/,
    );
    const [failingTest] = unitsOf(
      blocksOf(
        "canary.md",
        '```ts\nimport { expect, it } from "vitest";\nit("adds", () => {\n  expect(1 + 1).toBe(3);\n});\n```\n',
      ),
    );
    await expect(runUnit(failingTest!)).rejects.toThrow(/^canary\.md:1: the example threw.*adds/);
  });

  const runnable = units.filter((u) => u.notRun === undefined);
  it("most examples run", () => {
    expect(runnable.length).toBeGreaterThan(units.length / 2);
  });
  for (const unit of runnable) {
    it(`${unit.page}:${unit.fence}`, async () => {
      await runUnit(unit);
      expect(fetched, `${unit.page}:${unit.fence} used the network; mark it not run`).toEqual([]);
    });
  }
});
