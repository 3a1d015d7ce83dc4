/**
 * What the documentation's examples say they print, and whether they do. A block that is run
 * states its output in three ways:
 *
 * - **A comment at the end of a console line**: `console.log(x); // [ 'db' ]` states what that
 *   line printed (every call made from it during the run, in order).
 * - **Comment lines right under a statement** (no blank line between, at statement level):
 *   what was printed since the start of the block or the previous stated output, whichever
 *   came last when the comment was reached (prints stated by a console line's own comment
 *   left out). A comment meant as prose goes above the code it is about, after a blank line.
 * - **A plain fence marked `<!-- output -->`** right after a block: everything that block
 *   printed, line for line (trailing spaces aside).
 *
 * In a comment, `<-` starts a note for the reader (`// [ 'db' ]  <- its cleanup still ran`):
 * what follows it on the line is not output. A comment that is only a note states nothing.
 * Comments are compared with whitespace collapsed (console.log's line breaks and alignment
 * included), as console.log prints: util.inspect's formatting (`[ { task: 'a' } ]`), strings
 * without quotes. `...` standing alone (spaces, or the start or end, on both sides) matches
 * any text; `...` inside a word (`Checking authentication...`) is literal. A stated output that
 * the run never printed (a line never run, a comment never reached) is wrong too. Blocks that
 * are not run state nothing that can be checked, and are not.
 */
import { format } from "node:util";
import ts from "typescript";

/** The parts of a unit this module needs (see doc-snippets-kit.ts). */
export interface OutputUnit {
  readonly page: string;
  readonly fence: number;
  readonly code: string;
  readonly lineMap: readonly number[];
  readonly blocks: readonly {
    readonly fence: number;
    readonly lines: readonly string[];
    readonly output: { readonly fence: number; readonly lines: readonly string[] } | undefined;
  }[];
}

/** One output a unit states. */
export interface StatedOutput {
  /** `line`: a console line's own comment; `under`: comment lines under a statement;
   * `fence`: an `<!-- output -->` fence after a block. */
  readonly kind: "line" | "under" | "fence";
  /** The mark the run records when it reaches the comment (`under`) or the block (`fence`);
   * empty for `line`, checked by the line that printed. */
  readonly mark: string;
  /** `page:line` of the comment, or of the output fence. */
  readonly where: string;
  /** 0-based line of the unit's code: the console line, the first comment line, or the
   * block's first line. */
  readonly codeLine: number;
  /** What it says, notes removed (a fence: its lines). */
  readonly expected: string;
}

/** What a run printed, and the marks it passed, in order. */
export type OutputEvent =
  | { readonly mark: string }
  | { readonly text: string; readonly codeLine: number | undefined };

const consoleMethods = ["log", "info", "warn", "error"] as const;

/** The mark a block's first line records. */
export function blockMark(index: number): string {
  return `block ${index}`;
}

/** 0-based line of the unit's code where each of its blocks starts. */
export function blockStarts(unit: OutputUnit): number[] {
  let line = 0;
  return unit.blocks.map((block) => {
    const start = line;
    line += block.lines.length;
    return start;
  });
}

/** Removes a `<-` note from a comment line. */
function withoutNote(line: string): string {
  const note = /(^|\s)<-(\s|$)/.exec(line);
  return (note === null ? line : line.slice(0, note.index)).trimEnd();
}

/** A single-line comment's text, without `//` and the space after it. */
function commentText(text: string, range: ts.CommentRange): string {
  return text.slice(range.pos + 2, range.end).replace(/^ /, "");
}

const statementLists = new Set([
  ts.SyntaxKind.SourceFile,
  ts.SyntaxKind.Block,
  ts.SyntaxKind.ModuleBlock,
  ts.SyntaxKind.CaseClause,
  ts.SyntaxKind.DefaultClause,
]);

/** The outputs a unit states, in the order of its code (fences after their block's comments). */
export function statedOutputs(unit: OutputUnit): StatedOutput[] {
  const text = unit.code;
  const lines = text.split("\n");
  const file = ts.createSourceFile("unit.ts", text, ts.ScriptTarget.ES2022, true);
  const lineOf = (pos: number) => file.getLineAndCharacterOfPosition(pos).line;
  const where = (codeLine: number) => `${unit.page}:${unit.lineMap[codeLine] ?? unit.fence}`;

  const comments = new Map<number, ts.CommentRange>();
  // Each line a console call spans, to the line of its method's name (where its prints are
  // counted): a comment closing a call written over several lines states that call's output.
  const consoleLines = new Map<number, number>();
  const statements: { node: ts.Statement; list: ts.Node }[] = [];
  const visit = (node: ts.Node): void => {
    for (const r of ts.getLeadingCommentRanges(text, node.pos) ?? []) comments.set(r.pos, r);
    for (const r of ts.getTrailingCommentRanges(text, node.end) ?? []) comments.set(r.pos, r);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === "console" &&
      (consoleMethods as readonly string[]).includes(node.expression.name.text)
    ) {
      const at = lineOf(node.expression.name.getStart(file));
      for (let line = at; line <= lineOf(node.end); line++) consoleLines.set(line, at);
    }
    if (statementLists.has(node.kind)) {
      const list = (node as ts.Node & { statements: ts.NodeArray<ts.Statement> }).statements;
      for (const statement of list) statements.push({ node: statement, list: node });
    }
    for (const child of node.getChildren(file)) visit(child);
  };
  visit(file);

  const stated: StatedOutput[] = [];
  // Full-line comments, grouped into runs of consecutive lines of one block.
  const fullLine = new Map<number, ts.CommentRange>();
  for (const range of comments.values()) {
    if (range.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue;
    const line = lineOf(range.pos);
    const before = (lines[line] ?? "").slice(
      0,
      file.getLineAndCharacterOfPosition(range.pos).character,
    );
    if (before.trim() === "") {
      fullLine.set(line, range);
      continue;
    }
    const callLine = consoleLines.get(line);
    if (callLine === undefined) continue;
    const expected = withoutNote(commentText(text, range));
    if (expected === "") continue;
    stated.push({ kind: "line", mark: "", where: where(line), codeLine: callLine, expected });
  }
  const sameBlock = (line: number) => unit.lineMap[line] === (unit.lineMap[line - 1] ?? -2) + 1;
  for (const [first, range] of [...fullLine].sort(([a], [b]) => a - b)) {
    if (fullLine.has(first - 1) && sameBlock(first)) continue; // not the first of its run
    if (!sameBlock(first)) continue; // the first line of a block is under no statement
    const under = statements.some(
      ({ node, list }) =>
        lineOf(node.end) === first - 1 &&
        (list.kind === ts.SyntaxKind.SourceFile ||
          list.kind === ts.SyntaxKind.CaseClause ||
          list.kind === ts.SyntaxKind.DefaultClause ||
          range.pos < list.end - 1),
    );
    if (!under) continue;
    const said: string[] = [];
    for (let line = first; fullLine.has(line) && (line === first || sameBlock(line)); line++) {
      said.push(withoutNote(commentText(text, fullLine.get(line)!)));
    }
    const expected = said.join("\n").trim();
    if (expected === "") continue;
    stated.push({
      kind: "under",
      mark: `under ${first}`,
      where: where(first),
      codeLine: first,
      expected,
    });
  }
  stated.sort((a, b) => a.codeLine - b.codeLine);
  const starts = blockStarts(unit);
  unit.blocks.forEach((block, index) => {
    if (block.output === undefined) return;
    stated.push({
      kind: "fence",
      mark: blockMark(index),
      where: `${unit.page}:${block.output.fence}`,
      codeLine: starts[index]!,
      expected: block.output.lines.join("\n"),
    });
  });
  return stated;
}

/** The unit's code with a call recording a mark at the start of each block and on the first
 * line of each comment under a statement (same lines, so line numbers hold). */
export function withMarks(unit: OutputUnit, code: string, markFunction: string): string {
  const lines = code.split("\n");
  const insert = (line: number, mark: string) => {
    const at = lines[line] ?? "";
    const indent = /^\s*/.exec(at)?.[0] ?? "";
    lines[line] = `${indent}${markFunction}(${JSON.stringify(mark)});${at.slice(indent.length)}`;
  };
  for (const output of statedOutputs(unit)) {
    if (output.kind === "under") insert(output.codeLine, output.mark);
  }
  blockStarts(unit).forEach((line, index) => {
    insert(line, blockMark(index));
  });
  return lines.join("\n");
}

/** What console.log prints for these arguments (no colours: the output is not a terminal). */
export function printed(args: readonly unknown[]): string {
  return format(...args);
}

/** Whitespace collapsed: runs of spaces and line breaks become one space; ends trimmed. */
export function normalised(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Whether `actual` is what `expected` states: whitespace collapsed, standalone `...` any text. */
export function matchesStated(expected: string, actual: string): boolean {
  const parts = normalised(expected)
    .split(/(?:^|\s)\.\.\.(?=\s|$)/)
    .map((part) => part.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`, "s").test(normalised(actual));
}

function fenceProblem(output: StatedOutput, actual: string): string | undefined {
  const want = output.expected.split("\n").map((l) => l.trimEnd());
  const got = actual === "" ? [] : actual.split("\n").map((l) => l.trimEnd());
  while (want.at(-1) === "") want.pop();
  while (got.at(-1) === "") got.pop();
  const differ = Array.from({ length: Math.max(want.length, got.length) }, (_, i) => i).find(
    (i) => want[i] !== got[i],
  );
  if (differ === undefined) return undefined;
  const show = (line: string | undefined) =>
    line === undefined ? "(no line)" : JSON.stringify(line);
  const [page, fence] = output.where.split(":");
  return (
    `${output.where}: the output shown is not what its block printed; first difference at ` +
    `${page}:${Number(fence) + 1 + differ}:\n  expected: ${show(want[differ])}\n  actual:   ` +
    `${show(got[differ])}\n  the block printed:\n${got.map((l) => `    ${l}`).join("\n")}`
  );
}

/**
 * Each stated output that is not what the run printed, as
 * `page:line: ... expected ... actual ...`. `events` are what runUnit recorded.
 */
export function outputProblems(unit: OutputUnit, events: readonly OutputEvent[]): string[] {
  const stated = statedOutputs(unit);
  const statedLines = new Set(stated.filter((s) => s.kind === "line").map((s) => s.codeLine));
  const problems: string[] = [];
  const mismatch = (output: StatedOutput, subject: string, actual: string | undefined) =>
    `${output.where}: the comment is not what ${subject} printed\n  expected: ` +
    `${normalised(output.expected)}\n  actual:   ${actual === undefined ? "(nothing)" : normalised(actual)}`;
  for (const output of stated) {
    if (output.kind === "line") {
      const texts = events.flatMap((e) =>
        "text" in e && e.codeLine === output.codeLine ? [e.text] : [],
      );
      const actual = texts.length === 0 ? undefined : texts.join("\n");
      if (actual === undefined || !matchesStated(output.expected, actual)) {
        problems.push(mismatch(output, "this line", actual));
      }
    } else if (output.kind === "under") {
      const chunks: string[] = [];
      let reached = false;
      let since: string[] = [];
      for (const e of events) {
        if ("mark" in e) {
          if (e.mark === output.mark) {
            reached = true;
            chunks.push(...since);
          }
          since = [];
        } else if (e.codeLine === undefined || !statedLines.has(e.codeLine)) since.push(e.text);
      }
      const actual = chunks.length === 0 ? undefined : chunks.join("\n");
      if (!reached) {
        problems.push(
          `${output.where}: a comment under a statement states what was printed, but the run ` +
            `never got there (if it is prose, put a blank line above it)\n  expected: ` +
            normalised(output.expected),
        );
      } else if (actual === undefined || !matchesStated(output.expected, actual)) {
        problems.push(
          `${mismatch(output, "the code above it (since its block's start or the last stated output)", actual)}` +
            (actual === undefined
              ? "\n  (if the comment is prose, put a blank line above it)"
              : ""),
        );
      }
    } else {
      const texts: string[] = [];
      let inBlock = false;
      for (const e of events) {
        if ("mark" in e) {
          if (e.mark.startsWith("block ")) inBlock = e.mark === output.mark;
        } else if (inBlock) texts.push(e.text);
      }
      const problem = fenceProblem(output, texts.join("\n"));
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/**
 * Records what a run prints: replaces console's log, info, warn and error (the text as
 * console.log would print it, and the unit's code line that called it, read from the stack)
 * until `stop()` puts back what was there.
 */
export function recordConsole(
  fileName: string,
  record: (event: OutputEvent) => void,
): { stop: () => void } {
  const callSite = new RegExp(`${fileName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`);
  const saved = consoleMethods.map((m) => [m, console[m]] as const);
  for (const method of consoleMethods) {
    console[method] = (...args: unknown[]) => {
      const at = callSite.exec(new Error().stack ?? "");
      record({ text: printed(args), codeLine: at === null ? undefined : Number(at[1]) - 1 });
    };
  }
  return {
    stop: () => {
      for (const [method, original] of saved) console[method] = original;
    },
  };
}
