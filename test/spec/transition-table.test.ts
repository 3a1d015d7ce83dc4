import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ATTEMPT_TRANSITIONS, RUN_TRANSITIONS, TASK_TRANSITIONS } from "../../src/index.js";
import {
  engineRows,
  markdownRows,
  type Row,
  rowKey,
  type Table,
} from "../helpers/transition-rows.js";

/**
 * The transition tables in spec/ are the contract; the engine's tables are data in src/. These
 * tests parse the markdown tables between the `<!-- x-transitions:begin/end -->` markers and
 * prove both are the same set of (from, event, to) rows over the same states.
 */
const specDir = new URL("../../spec/", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, specDir), "utf8");

/** States named in the first column (in backticks) of the state table of a spec section. */
function stateTable(markdown: string, heading: string, after?: string): string[] {
  const start = markdown.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const from = after === undefined ? start : markdown.indexOf(after, start);
  const next = markdown.indexOf("\n## ", from + 1);
  const section = markdown.slice(from, next === -1 ? undefined : next);
  const lines = section.split("\n").filter((l) => /^\|\s*`\w+`/.test(l.trim()));
  return lines.map((l) => /`(\w+)`/.exec(l)![1]!);
}

function compare(specRows: Row[], table: Table, specStates?: readonly string[]): void {
  const spec = specRows.map(rowKey);
  expect(new Set(spec).size, "no duplicate rows in the spec").toBe(spec.length);
  // One row per (from, event): the table is a function.
  const pairs = specRows.map((r) => `${r[0]} ${r[1]}`);
  expect(new Set(pairs).size, "no (from, event) pair twice in the spec").toBe(pairs.length);
  expect(engineRows(table).map(rowKey).sort()).toEqual([...spec].sort());
  const engineStates = Object.keys(table).sort();
  const mentioned = new Set(specRows.flatMap((r) => [r[0], r[2]]));
  expect(engineStates).toEqual([...mentioned].sort());
  if (specStates !== undefined) expect([...specStates].sort()).toEqual(engineStates);
}

describe("spec/lifecycle.md sections 2-4: transition tables", () => {
  const lifecycle = read("lifecycle.md");

  it("INV-1: the task transition table in the spec equals TASK_TRANSITIONS, row for row, over the same states", () => {
    const rows = markdownRows(lifecycle, "task-transitions");
    expect(rows.length).toBeGreaterThan(20);
    compare(rows, TASK_TRANSITIONS, stateTable(lifecycle, "## 2. Task states"));
  });

  it("INV-1: the run transition table in the spec equals RUN_TRANSITIONS, row for row, over the same states", () => {
    const rows = markdownRows(lifecycle, "run-transitions");
    expect(rows.length).toBeGreaterThan(10);
    compare(
      rows,
      RUN_TRANSITIONS,
      stateTable(lifecycle, "## 4. Run states", "run-transitions:end"),
    );
  });

  it("INV-1: the engine's tables are frozen data", () => {
    for (const table of [TASK_TRANSITIONS, RUN_TRANSITIONS, ATTEMPT_TRANSITIONS]) {
      expect(Object.isFrozen(table)).toBe(true);
    }
  });

  it("INV-1: the parser refuses what it must (a missing marker, a malformed row)", () => {
    expect(() => markdownRows("no markers here", "task-transitions")).toThrow();
    const bad = "<!-- t:begin -->\n| from | event | to |\n| - | - | - |\n| a | b |\n<!-- t:end -->";
    expect(() => markdownRows(bad, "t")).toThrow();
    const ok =
      "<!-- t:begin -->\n| from | event | to |\n| - | - | - |\n| a | go | b |\n<!-- t:end -->";
    expect(() => compare(markdownRows(ok, "t"), { a: { go: "c" }, b: {} })).toThrow();
    compare(markdownRows(ok, "t"), { a: { go: "b" }, b: {} });
  });
});

describe("spec/task-functions.md: attempt transition table", () => {
  it("INV-20: the attempt transition table in the spec equals ATTEMPT_TRANSITIONS, row for row, over the same states", () => {
    const markdown = read("task-functions.md");
    const rows = markdownRows(markdown, "attempt-transitions");
    compare(rows, ATTEMPT_TRANSITIONS, stateTable(markdown, "## 3. Attempt states"));
  });
});
