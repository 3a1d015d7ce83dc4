import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ATTEMPT_TRANSITIONS, RUN_TRANSITIONS, TASK_TRANSITIONS } from "../../src/index.js";
import { HOLDS_SLOT, TASK_MACHINE } from "../../src/lifecycle/machines.js";
import {
  between,
  engineRows,
  markdownRows,
  rowKey,
  type Table,
} from "../helpers/transition-rows.js";

/**
 * The formal model (spec/lifecycle.qnt) writes each transition table once, as a set of
 * (from, event, to) tuples between `// x-transitions:begin/end` markers, and every state change
 * of the model goes through them. These tests prove the model's tables equal the markdown
 * tables of spec/ (the same markers) and so the engine's, which test/spec/transition-table.test.ts
 * proves equal to the markdown.
 */
const specDir = new URL("../../spec/", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, specDir), "utf8");

/** The model's rows: one `("from", "event", "to"),` tuple per line, nothing else but the set. */
function modelRows(qnt: string, marker: string): string[] {
  const body = between(qnt, `// ${marker}:begin`, `// ${marker}:end`);
  const lines = body
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  expect(lines[0]).toMatch(/^pure val [A-Z_]+: Set\[\(str, str, str\)\] = Set\($/);
  expect(lines.at(-1)).toBe(")");
  return lines.slice(1, -1).map((line) => {
    const m = /^\("([a-zA-Z]+)", "([a-zA-Z]+)", "([a-zA-Z]+)"\),?$/.exec(line);
    expect(m, `model row ${line}`).not.toBeNull();
    return rowKey([m![1]!, m![2]!, m![3]!]);
  });
}

/** The markdown table's rows between `<!-- marker:begin/end -->`, as the model's are given. */
const markdownKeys = (markdown: string, marker: string) =>
  markdownRows(markdown, marker).map(rowKey);
/** The engine table's rows, as the model's are given. */
const engineKeys = (table: Table) => engineRows(table).map(rowKey);

const qnt = read("lifecycle.qnt");
const sorted = (rows: readonly string[]) => [...rows].sort();

describe("spec/lifecycle.qnt: the model's transition tables", () => {
  it("INV-1: the model's task table equals the markdown's (spec/lifecycle.md section 3) and the engine's", () => {
    const model = modelRows(qnt, "task-transitions");
    expect(new Set(model).size).toBe(model.length);
    expect(sorted(model)).toEqual(sorted(markdownKeys(read("lifecycle.md"), "task-transitions")));
    expect(sorted(model)).toEqual(sorted(engineKeys(TASK_TRANSITIONS)));
  });

  it("INV-1: the model's run table equals the markdown's (spec/lifecycle.md section 4) and the engine's", () => {
    const model = modelRows(qnt, "run-transitions");
    expect(sorted(model)).toEqual(sorted(markdownKeys(read("lifecycle.md"), "run-transitions")));
    expect(sorted(model)).toEqual(sorted(engineKeys(RUN_TRANSITIONS)));
  });

  it("INV-20: the model's attempt table equals the markdown's (spec/task-functions.md section 4) and the engine's", () => {
    const model = modelRows(qnt, "attempt-transitions");
    expect(sorted(model)).toEqual(
      sorted(markdownKeys(read("task-functions.md"), "attempt-transitions")),
    );
    expect(sorted(model)).toEqual(sorted(engineKeys(ATTEMPT_TRANSITIONS)));
  });

  it("INV-1: the model moves states only through those tables (no state is assigned elsewhere)", () => {
    // Every assignment of a task, run or attempt state reads the table's lookup result.
    expect(qnt.match(/lookup\(f\.(taskNext|runNext|attemptNext),/g)?.length).toBe(3);
    expect(qnt).not.toMatch(/ts: w\.ts\.set\([^)]*, "/);
    expect(qnt).not.toMatch(/\brs: "(?!idle")/);
    expect(qnt).not.toMatch(/st: "(?!idle")/);
  });

  it("INV-37: the model's slot-holding states come from its task table, and are the markdown's and the engine's", () => {
    // The model derives them from the table, as the engine does, not from a list of its own.
    expect(qnt).toMatch(
      /pure val HOLDS_SLOT: Set\[str\] =\s+TASK_TRANSITIONS\.filter\(r => Set\("succeed", "settle", "abandon"\)\.contains\(r\._2\)\)\.map\(r => r\._1\)/,
    );
    const model = new Set(
      modelRows(qnt, "task-transitions")
        .map((row) => /^(\w+) --(\w+)--> /.exec(row)!)
        .filter((m) => ["succeed", "settle", "abandon"].includes(m[2]!))
        .map((m) => m[1]!),
    );
    const sentence = /A task \*\*holds a slot\*\* while it is in ([^:]+):/.exec(
      read("lifecycle.md"),
    );
    expect(sentence).not.toBeNull();
    const markdown = new Set([...sentence![1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    const engine = new Set(TASK_MACHINE.states.filter((_, i) => HOLDS_SLOT[i] === 1));
    expect(markdown.size).toBe(8);
    expect(sorted([...model])).toEqual(sorted([...markdown]));
    expect(sorted([...model])).toEqual(sorted([...engine]));
  });

  it("the parser refuses a malformed model row and a missing marker", () => {
    expect(() => modelRows("no markers", "task-transitions")).toThrow();
    const bad =
      '// t:begin\n  pure val T: Set[(str, str, str)] = Set(\n    ("a", "go"),\n  )\n  // t:end';
    expect(() => modelRows(bad, "t")).toThrow();
    const ok =
      '// t:begin\n  pure val T: Set[(str, str, str)] = Set(\n    ("a", "go", "b"),\n  )\n  // t:end';
    expect(modelRows(ok, "t")).toEqual(["a --go--> b"]);
  });
});
