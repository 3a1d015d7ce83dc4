/**
 * Finds the ```ts blocks of the documentation, type-checks them against src/index.ts and runs
 * them. The conventions (also told in doc-snippets.test.ts):
 *
 * - Every ```ts block is type-checked, as an ES module that imports "sdax" (src/index.ts).
 * - Every block is run, unless an HTML comment right above its fence says
 *   `<!-- not run: the reason -->` (it needs a real service, or declares what it uses).
 * - `<!-- continues -->` right above a fence joins the block to the one before it on the same
 *   page: they are checked and run as one module (a page that builds an example step by step).
 *   A group is run unless one of its blocks is marked `not run`.
 * - When run, "vitest" and "@fast-check/vitest" are stand-ins that collect `it(...)` and
 *   `test.prop(...)(...)` so their bodies run too, and "node:timers/promises" sleeps on a
 *   VirtualClock, so an example's sleeps take no real time. Nothing else is replaced (the test
 *   replaces `fetch`): a block that is run must not need the network or long real waits.
 * - `<!-- output -->` right above a plain fence (```text or no language) that follows a run
 *   block shows what that block prints. It, and the comments stating what a console line or
 *   the code above a comment printed, are checked against the run: see doc-outputs.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { VirtualClock } from "../../src/index.js";
import { type OutputEvent, recordConsole, withMarks } from "./doc-outputs.js";
import { nextSleep, useClock } from "./snippet-shims/timers-promises.js";
import { takeCollected } from "./snippet-shims/vitest.js";

export const root = fileURLToPath(new URL("../../", import.meta.url));

/** One ```ts block: where it is, its code, its markers. */
export interface Block {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly fence: number;
  readonly lines: readonly string[];
  readonly notRun: string | undefined;
  readonly continues: boolean;
  /** The `<!-- output -->` fence after it: what it prints. */
  readonly output: { readonly fence: number; readonly lines: readonly string[] } | undefined;
}

/** Blocks checked and run as one module: one block, or a block and those that continue it. */
export interface Unit {
  readonly page: string;
  readonly fence: number;
  readonly blocks: readonly Block[];
  /** Why it is not run, or undefined when it is. */
  readonly notRun: string | undefined;
  /** The module's code. */
  readonly code: string;
  /** Line `i` (0-based) of `code` is line `lineMap[i]` of the page (0: added by the runner). */
  readonly lineMap: readonly number[];
}

/** README.md and every docs/*.md, in a fixed order. */
export function documentationPages(): string[] {
  const docs = readdirSync(`${root}docs`)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

const fenceOpen = /^(\s*)```(\S*)\s*$/;
const marker = /^\s*<!--\s*(.*?)\s*-->\s*$/;

/** The markers (`<!-- ... -->` lines) right above line `i`, as `[line index, text]`. */
function markersAbove(lines: readonly string[], i: number): [number, string][] {
  const found: [number, string][] = [];
  for (let k = i - 1; k >= 0; k--) {
    const m = marker.exec(lines[k] ?? "");
    if (m === null) break;
    found.push([k, m[1] ?? ""]);
  }
  return found;
}

/** The ```ts blocks of one page's text. Throws on a malformed marker or an unclosed fence. */
export function blocksOf(page: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fenceOpen.exec(lines[i] ?? "");
    if (open === null) continue;
    const indent = open[1] ?? "";
    const lang = open[2] ?? "";
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? "")) end++;
    if (end >= lines.length) throw new Error(`${page}:${i + 1}: a code fence that is never closed`);
    const unindented = (l: string) =>
      l.startsWith(indent) ? l.slice(indent.length) : l.trimStart();
    if (lang !== "ts" && lang !== "typescript") {
      for (const [k, said] of markersAbove(lines, i)) {
        if (said !== "output") {
          throw new Error(
            `${page}:${k + 1}: unknown marker <!-- ${said} --> above a fence; ` +
              "use <!-- output --> above the output of the ts block before it",
          );
        }
        const last = blocks.at(-1);
        if (lang !== "" && lang !== "text") {
          throw new Error(
            `${page}:${k + 1}: <!-- output --> marks a \`\`\`text fence or one with no language, not \`\`\`${lang}`,
          );
        }
        if (last === undefined || last.output !== undefined || last.notRun !== undefined) {
          throw new Error(
            `${page}:${k + 1}: <!-- output --> must follow a ts block that is run and has no other output fence`,
          );
        }
        blocks[blocks.length - 1] = {
          ...last,
          output: { fence: i + 1, lines: lines.slice(i + 1, end).map(unindented) },
        };
      }
    } else {
      let notRun: string | undefined;
      let continues = false;
      for (const [k, said] of markersAbove(lines, i)) {
        const reason = /^not run:\s*(\S.*)$/.exec(said);
        if (reason !== null) notRun = reason[1];
        else if (said === "continues") continues = true;
        else {
          throw new Error(
            `${page}:${k + 1}: unknown marker <!-- ${said} --> above a ts block; ` +
              "use <!-- not run: the reason --> or <!-- continues -->",
          );
        }
      }
      const code = lines.slice(i + 1, end).map(unindented);
      blocks.push({ page, fence: i + 1, lines: code, notRun, continues, output: undefined });
    }
    i = end;
  }
  return blocks;
}

/** Groups a page's blocks into units (see `<!-- continues -->`). */
export function unitsOf(blocks: readonly Block[]): Unit[] {
  const groups: Block[][] = [];
  for (const block of blocks) {
    const last = groups.at(-1);
    if (block.continues) {
      if (last === undefined) {
        throw new Error(
          `${block.page}:${block.fence}: <!-- continues --> on the page's first block`,
        );
      }
      last.push(block);
    } else groups.push([block]);
  }
  return groups.map((group) => {
    const first = group[0]!;
    const notRun = group.find((b) => b.notRun !== undefined)?.notRun;
    const shown = group.find((b) => b.output !== undefined);
    if (notRun !== undefined && shown?.output !== undefined) {
      throw new Error(
        `${shown.page}:${shown.output.fence}: <!-- output --> after a block that is not run (${notRun})`,
      );
    }
    const code: string[] = [];
    const lineMap: number[] = [];
    for (const block of group) {
      block.lines.forEach((line, k) => {
        code.push(line);
        lineMap.push(block.fence + 1 + k);
      });
    }
    code.push("export {};");
    lineMap.push(0);
    return {
      page: first.page,
      fence: first.fence,
      blocks: group,
      notRun,
      code: `${code.join("\n")}\n`,
      lineMap,
    };
  });
}

/** Every unit of README.md and docs/*.md. */
export function documentationUnits(): Unit[] {
  return documentationPages().flatMap((page) =>
    unitsOf(blocksOf(page, readFileSync(`${root}${page}`, "utf8"))),
  );
}

function slug(unit: Pick<Unit, "page" | "fence">): string {
  return `${unit.page.replace(/[/.]/g, "_")}_L${unit.fence}`;
}

/** `page:line` of a 0-based line of a unit's code. */
export function whereIs(unit: Unit, codeLine: number): string {
  const line = unit.lineMap[codeLine];
  return `${unit.page}:${line === undefined || line === 0 ? unit.fence : line}`;
}

/**
 * Type-checks the units as modules under the repository (so "sdax" resolves to src/index.ts
 * and "vitest" to the real one) with the project's strict settings. Returns one
 * `page:line: message` per problem.
 */
export function typecheck(units: readonly Unit[]): string[] {
  const files = new Map<string, Unit>();
  for (const unit of units) files.set(`${root}.snippets/${slug(unit)}.ts`, unit);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: root,
    paths: {
      sdax: ["src/index.ts"],
      "sdax/otel": ["src/otel/index.ts"],
      "sdax/testing": ["src/testing/index.ts"],
    },
  };
  // The snippets are ES modules (top-level await): a package.json in their folder says so.
  const snippetPackage = `${root}.snippets/package.json`;
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) =>
    files.get(name)?.code ?? (name === snippetPackage ? '{ "type": "module" }' : readFile(name));
  host.fileExists = (name) => files.has(name) || name === snippetPackage || fileExists(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).flatMap((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined) return [message];
    const unit = files.get(d.file.fileName);
    if (unit === undefined) return [];
    const line = d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line;
    return [`${whereIs(unit, line)}: ${message}`];
  });
}

const here = fileURLToPath(new URL("./", import.meta.url));
const replaced: Record<string, string> = {
  sdax: `${root}src/index.ts`,
  "sdax/otel": `${root}src/otel/index.ts`,
  "sdax/testing": `${root}src/testing/index.ts`,
  vitest: `${here}snippet-shims/vitest.ts`,
  "@fast-check/vitest": `${here}snippet-shims/fast-check-vitest.ts`,
  "node:timers/promises": `${here}snippet-shims/timers-promises.ts`,
};

/** Called by the code runUnit writes where a stated output is checked (see doc-outputs.ts). */
const markFunction = "globalThis.__sdaxDocOutputMark";
let onMark: ((mark: string) => void) | undefined;
Object.assign(globalThis, { __sdaxDocOutputMark: (mark: string) => onMark?.(mark) });

/**
 * The unit's code with its imports of the replaced modules pointing at them, and the marks of
 * doc-outputs.ts added (on existing lines: line numbers do not change).
 */
export function runnableCode(unit: Unit): string {
  return withMarks(unit, unit.code, markFunction).replace(
    /(\bfrom\s+|\bimport\s+)"([^"]+)"/g,
    (all, keyword: string, name) => {
      const target = replaced[name as string];
      return target === undefined ? all : `${keyword}${JSON.stringify(target)}`;
    },
  );
}

let folder: string | undefined;
let runs = 0;

/** Removes the folder the runner wrote its modules to. */
export function cleanUp(): void {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

/**
 * Settles `work`, whose sleeps on "node:timers/promises" wait on `clock`: whenever a sleep is
 * pending, moves the clock to the next one; otherwise waits for the work to settle or to sleep.
 * No real time is spent on sleeps, and none is spent waiting for what is not a sleep.
 */
async function driveSleeps<R>(clock: VirtualClock, work: Promise<R>): Promise<R> {
  let done = false;
  const settled = work.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    const next = clock.nextTimerAt();
    if (next === undefined) await Promise.race([settled, nextSleep()]);
    else await clock.advance(next - clock.now());
  }
  return work;
}

/**
 * Runs a unit: imports it (top-level code and awaits run), then runs the tests it declared with
 * `it(...)`, one after the other. Its sleeps on "node:timers/promises" pass on a VirtualClock.
 * Rejects with an error naming the unit's page and line (and the failing line, when the stack
 * says which) when the code throws. Resolves to what it printed on the console, and the marks
 * it passed, in order (see doc-outputs.ts); nothing it prints reaches the console.
 */
export async function runUnit(unit: Unit): Promise<OutputEvent[]> {
  folder ??= mkdtempSync(joinPath(tmpdir(), "sdax-doc-snippets-"));
  // A new name for each run: a module is imported (and so run) once per name.
  const name = `${slug(unit)}_${++runs}`;
  const file = joinPath(folder, `${name}.ts`);
  writeFileSync(file, runnableCode(unit));
  const clock = new VirtualClock();
  const settle = <R>(work: Promise<R>): Promise<R> => driveSleeps(clock, work);
  const events: OutputEvent[] = [];
  const recording = recordConsole(`${name}.ts`, (event) => events.push(event));
  onMark = (mark) => events.push({ mark });
  useClock(clock);
  takeCollected();
  try {
    await settle(import(pathToFileURL(file).href));
    for (const { name, body } of takeCollected()) {
      try {
        await settle(Promise.resolve().then(body));
      } catch (error) {
        throw Object.assign(new Error(`test "${name}": ${describeError(error)}`), {
          stack: error instanceof Error ? error.stack : undefined,
        });
      }
    }
  } catch (error) {
    const stack = error instanceof Error ? (error.stack ?? "") : "";
    const at = new RegExp(`${name}\\.ts:(\\d+)`).exec(stack);
    const line = at === null ? "" : ` (at ${whereIs(unit, Number(at[1]) - 1)})`;
    throw new Error(
      `${unit.page}:${unit.fence}: the example threw${line}: ${describeError(error)}`,
      { cause: error },
    );
  } finally {
    useClock(undefined);
    takeCollected();
    onMark = undefined;
    recording.stop();
  }
  return events;
}
