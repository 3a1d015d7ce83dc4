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
 * What a block that is run says it prints must be what it printed (doc-outputs.ts has the
 * details):
 *
 * - `console.log(x); // [ 'db' ]`: a comment at the end of a console line (log, info, warn,
 *   error) states what that line printed.
 * - Comment lines right under a statement (no blank line between) state what was printed since
 *   the start of the block or the previous stated output. Prose goes after a blank line.
 * - `<!-- output -->` above a ```text fence (or one with no language) right after a block: the
 *   fence is everything that block printed, line for line.
 * - `<-` starts a note that is not output: `// [ 'db' ]  <- its cleanup still ran`.
 *   Whitespace is collapsed; objects are written as console.log prints them (util.inspect:
 *   `[ { task: 'a' } ]`); `...` standing alone stands for any text.
 *
 * A failure names the page and the line of the block (and of the failing line when known); a
 * wrong stated output, its own line, what it says and what was printed.
 * See doc-snippets-kit.ts for how blocks are found, checked and run.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { outputProblems, statedOutputs } from "./doc-outputs.js";
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
  // What the examples print is recorded by runUnit and kept out of the test output (anything
  // printed outside it is muted here). An example that is run must not use the network:
  // `fetch` is replaced, and a call to it fails the example's test.
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

  /** The problems of the stated outputs of a one-page canary's units, run one after the other. */
  async function outputCanary(page: string): Promise<string[]> {
    const problems: string[] = [];
    for (const unit of unitsOf(blocksOf("canary.md", page))) {
      problems.push(...outputProblems(unit, await runUnit(unit)));
    }
    return problems;
  }
  const fence = (lang: string, ...lines: string[]) =>
    `\`\`\`${lang}\n${lines.join("\n")}\n\`\`\`\n`;

  it("a console line's comment is what the line printed; a wrong one is reported with its line, expected and actual", async () => {
    const problems = await outputCanary(
      fence(
        "ts",
        'const released = ["db"];',
        "console.log(released); // [ 'db' ]",
        "console.log(released.length); // 2",
        'for (const name of ["a", "b"]) console.error(name + ":", { n: 1 }); // a: { n: 1 } b: { n: 1 }',
        'if (released.length > 5) console.log("many"); // many',
      ),
    );
    expect(problems).toEqual([
      "canary.md:4: the comment is not what this line printed\n  expected: 2\n  actual:   1",
      "canary.md:6: the comment is not what this line printed\n  expected: many\n  actual:   (nothing)",
    ]);
  });

  it("a comment closing a console call written over several lines states that call's output", async () => {
    const problems = await outputCanary(
      fence(
        "ts",
        "console.log(",
        '  "spread",',
        '  "over lines",',
        "); // spread over lines",
        "console.log(",
        '  "wrong",',
        "); // right",
      ),
    );
    expect(problems).toEqual([
      "canary.md:8: the comment is not what this line printed\n  expected: right\n  actual:   wrong",
    ]);
  });

  it("whitespace is collapsed, `<-` starts a note, a standalone `...` stands for any text", async () => {
    const good = await outputCanary(
      fence(
        "ts",
        "console.log({ task: \"a\", attempts: 2 }); // { task: 'a', attempts: 2 }  <- a note",
        'console.log("aligned", "  columns"); // aligned    columns',
        'console.log({ first: "x".repeat(40), second: "y".repeat(40) }); // { first: ... second: ... }',
        'console.log("one\\ntwo\\nthree"); // one ... three',
        'console.log("Loading..."); // Loading...',
        "console.log(Math.random()); // <- a note only: states nothing",
      ),
    );
    expect(good).toEqual([]);
    // `...` inside a word is literal; the text the comment leaves out must be there.
    const bad = await outputCanary(
      fence(
        "ts",
        'console.log("Loading"); // Loading...',
        'console.log({ first: "x".repeat(40), second: "y".repeat(40) }); // { first: ... third: ... }',
      ),
    );
    expect(bad).toEqual([
      "canary.md:2: the comment is not what this line printed\n  expected: Loading...\n  actual:   Loading",
      "canary.md:3: the comment is not what this line printed\n  expected: { first: ... third: ... }\n" +
        `  actual:   { first: '${"x".repeat(40)}', second: '${"y".repeat(40)}' }`,
    ]);
  });

  it("comment lines under a statement are what was printed since the last stated output; prose goes after a blank line", async () => {
    const problems = await outputCanary(
      fence(
        "ts",
        "for (const n of [1, 2]) console.log(n);",
        "// 1",
        "// 2",
        "const n = 3;",
        "",
        "// Prose after a blank line states nothing.",
        "console.log(n); // 3",
        "console.log(n + 1);",
        "// 4",
      ) + fence("ts", "const m = 5;", "// Prose right under a statement: nothing was printed"),
    );
    expect(problems).toEqual([
      "canary.md:14: the comment is not what the code above it (since its block's start or the " +
        "last stated output) printed\n  expected: Prose right under a statement: nothing was " +
        "printed\n  actual:   (nothing)\n  (if the comment is prose, put a blank line above it)",
    ]);
    const unreached = await outputCanary(
      fence("ts", "if (Date.now() < 0) {", '  console.log("never");', "  // never", "}"),
    );
    expect(unreached).toEqual([
      "canary.md:4: a comment under a statement states what was printed, but the run never got " +
        "there (if it is prose, put a blank line above it)\n  expected: never",
    ]);
  });

  it("an `<!-- output -->` fence is all its block printed, line for line", async () => {
    const code = fence("ts", 'console.log("tree");', 'console.log("  leaf"); // leaf');
    expect(
      await outputCanary(`${code}\n<!-- output -->\n${fence("text", "tree", "  leaf")}`),
    ).toEqual([]);
    const [problem, ...more] = await outputCanary(
      `${code}\n<!-- output -->\n${fence("", "tree", "leaf")}`,
    );
    expect(more).toEqual([]);
    expect(problem).toMatch(
      /^canary\.md:7: the output shown is not what its block printed; first difference at canary\.md:9:\n {2}expected: "leaf"\n {2}actual: {3}" {2}leaf"/,
    );
  });

  it("an `<!-- output -->` marker must follow a block that is run", () => {
    const text = fence("text", "a");
    expect(() => blocksOf("m.md", `<!-- output -->\n${text}`)).toThrow(/m\.md:1: <!-- output -->/);
    expect(() =>
      blocksOf("m.md", `<!-- not run: no -->\n${fence("ts", "1;")}<!-- output -->\n${text}`),
    ).toThrow(/m\.md:5: <!-- output --> must follow a ts block that is run/);
    expect(() => blocksOf("m.md", `${fence("ts", "1;")}<!-- outptu -->\n${text}`)).toThrow(
      /m\.md:4: unknown marker <!-- outptu --> above a fence/,
    );
    expect(() =>
      blocksOf("m.md", `${fence("ts", "1;")}<!-- output -->\n${fence("json", "1")}`),
    ).toThrow(/m\.md:4: <!-- output --> marks a ```text fence/);
  });

  it("the documentation states outputs of each kind, and they are checked", () => {
    const stated = units.filter((u) => u.notRun === undefined).flatMap((u) => statedOutputs(u));
    const count = (kind: string) => stated.filter((s) => s.kind === kind).length;
    expect(count("line")).toBeGreaterThanOrEqual(20);
    expect(count("under")).toBeGreaterThanOrEqual(10);
    expect(count("fence")).toBeGreaterThanOrEqual(4);
  });

  const runnable = units.filter((u) => u.notRun === undefined);
  it("most examples run", () => {
    expect(runnable.length).toBeGreaterThan(units.length / 2);
  });
  for (const unit of runnable) {
    it(`${unit.page}:${unit.fence}`, async () => {
      const events = await runUnit(unit);
      expect(fetched, `${unit.page}:${unit.fence} used the network; mark it not run`).toEqual([]);
      const problems = outputProblems(unit, events);
      expect(problems, problems.join("\n\n")).toEqual([]);
    });
  }
});
