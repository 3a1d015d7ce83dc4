/**
 * Reading a transition table the ways the spec tests compare it: the markdown table of a spec
 * file between `<!-- marker:begin/end -->` comments, and the engine's table as data, both as
 * (from, event, to) rows. test/spec/transition-table.test.ts also tests the parser itself.
 */
import { expect } from "vitest";

/** One transition: `table[from][event] === to`. */
export type Row = readonly [from: string, event: string, to: string];

/** A transition table as the engine holds one (`TASK_TRANSITIONS` and the others). */
export type Table = { readonly [from: string]: { readonly [event: string]: string | undefined } };

/** The text between `begin` and `end`, each found exactly once, `begin` first. */
export function between(text: string, begin: string, end: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  expect(from, begin).toBeGreaterThanOrEqual(0);
  expect(to, end).toBeGreaterThan(from);
  expect(text.indexOf(begin, from + 1), `a second ${begin}`).toBe(-1);
  return text.slice(from + begin.length, to);
}

/**
 * The header and body rows of the markdown table between `<!-- marker:begin/end -->`, cells
 * trimmed, backticks dropped; the separator row is checked and left out.
 */
export function markedTable(markdown: string, marker: string): string[][] {
  const body = between(markdown, `<!-- ${marker}:begin -->`, `<!-- ${marker}:end -->`);
  const lines = body
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("|"));
  expect(lines.length, "a header, a separator and rows").toBeGreaterThan(2);
  const cells = (line: string) =>
    line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split("|")
      .map((c) => c.trim().replaceAll("`", ""));
  expect(
    cells(lines[1]!).every((c) => /^:?-+:?$/.test(c)),
    "separator row",
  ).toBe(true);
  return [cells(lines[0]!), ...lines.slice(2).map(cells)];
}

/** The rows of the `from | event | to` table between the markers, each three names. */
export function markdownRows(markdown: string, marker: string): Row[] {
  const [header, ...rows] = markedTable(markdown, marker);
  expect(header).toEqual(["from", "event", "to"]);
  for (const row of rows) {
    expect(row, `row ${row.join(" | ")}`).toHaveLength(3);
    for (const cell of row) expect(cell, `row ${row.join(" | ")}`).toMatch(/^[a-zA-Z]+$/);
  }
  return rows as unknown as Row[];
}

/** The rows of an engine table. */
export function engineRows(table: Table): Row[] {
  return Object.entries(table).flatMap(([from, events]) =>
    Object.entries(events).flatMap(([event, to]) =>
      to === undefined ? [] : [[from, event, to] as const],
    ),
  );
}

/** A row as one string, `from --event--> to`, for comparing sets of rows. */
export const rowKey = (r: Row): string => `${r[0]} --${r[1]}--> ${r[2]}`;
