// @vitest-environment jsdom
/**
 * processor.toMermaid(): the exact text for small workflows, and Mermaid's own parser on many
 * generated workflows with hostile names, which must read back every name, level, arrow and
 * phase, and never a barrier.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, join, type PhaseName, task } from "../../src/index.js";
import { parseFlowchart } from "./mermaid-parser.js";
import { buildWorkflow, hostileName, type WorkflowSpec, workflowArb } from "./workflows.js";

const noop = () => {};

describe("processor.toMermaid(): the text", () => {
  it("level mode: one subgraph per populated level in level order, one arrow between consecutive levels, joins as circles", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("Report", { preExecute: noop, execute: noop, postExecute: noop }), 10)
      .addTask(task("Database", { preExecute: noop, postExecute: noop }), -2)
      .addTask(join("Ready"), 3)
      .addTask(task("Quota", { preExecute: noop }), 3)
      .build();
    expect(processor.toMermaid()).toBe(
      [
        "flowchart TB",
        '  subgraph L0["level -2"]',
        "    direction TB",
        '    t1["Database<br/>pre #183; post"]',
        "  end",
        '  subgraph L1["level 3"]',
        "    direction TB",
        '    t2(("Ready"))',
        '    t3["Quota<br/>pre"]',
        "  end",
        '  subgraph L2["level 10"]',
        "    direction TB",
        '    t0["Report<br/>pre #183; exec #183; post"]',
        "  end",
        "  L0 --> L1",
        "  L1 --> L2",
        "",
      ].join("\n"),
    );
  });

  it("graph mode: one arrow per dependency, from the dependency to its dependent; a name given twice draws one arrow", () => {
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(task("render", { execute: noop }), ["ready"])
      .addTask(join("ready"), ["db", "auth", "db"])
      .addTask(task("db", { preExecute: noop, postExecute: noop }))
      .addTask(task("auth", { preExecute: noop }))
      .build();
    expect(processor.toMermaid({ direction: "LR", phases: false })).toBe(
      [
        "flowchart LR",
        '  t0["render"]',
        '  t1(("ready"))',
        '  t2["db"]',
        '  t3["auth"]',
        "  t1 --> t0",
        "  t2 --> t1",
        "  t3 --> t1",
        "",
      ].join("\n"),
    );
  });

  // Under exactOptionalPropertyTypes, `{ direction: maybe }` did not compile, where every
  // other options type takes undefined for "the default".
  it("an option given as undefined is the default, and compiles so", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { execute: noop }), 1)
      .build();
    const maybe = undefined as "LR" | undefined;
    expect(processor.toMermaid({ direction: maybe, phases: undefined })).toBe(
      processor.toMermaid(),
    );
  });

  it("names are labels, escaped; ids are generated, so a name like end or a quote breaks nothing", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("end", { execute: noop }), 1)
      .addTask(task('say "hi"; #1 [x]', { execute: noop }), 1)
      .build();
    expect(processor.toMermaid({ phases: false })).toContain(
      '    t0["end"]\n    t1["say #34;hi#34;#59; #35;1 #91;x#93;"]\n',
    );
  });

  it("the same workflow gives the same text, every time and from every processor built from it", () => {
    const build = () =>
      AsyncTaskProcessor.builder()
        .addTask(task("a", { preExecute: noop }), 1)
        .addTask(task("b", { execute: noop }), 2)
        .build();
    expect(build().toMermaid()).toBe(build().toMermaid());
    const one = build();
    expect(one.toMermaid()).toBe(one.toMermaid());
  });

  it("an empty workflow is a flowchart with nothing in it", async () => {
    const text = AsyncTaskProcessor.builder().build().toMermaid();
    expect(text).toBe("flowchart TB\n");
    expect((await parseFlowchart(text)).nodes).toEqual([]);
  });

  it("refuses options it does not know how to draw, naming the option and the value", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { execute: noop }), 1)
      .build();
    const draw = (options: unknown) => () => processor.toMermaid(options as never);
    expect(draw({ direction: "TD" })).toThrow(
      'toMermaid: expected `direction` to be "TB", "BT", "LR" or "RL", got "TD"',
    );
    expect(draw({ phases: "yes" })).toThrow("toMermaid: expected `phases` to be a boolean");
    expect(draw(42)).toThrow(TypeError);
    expect(draw({ direction: { toString: () => "TB" } })).toThrow(
      'got {"toString":"[function toString]"} (object)',
    );
    expect(draw({ phases: () => true })).toThrow("got a function");
    expect(draw({ direction: undefined, phases: undefined })()).toContain("flowchart TB");
  });

  // A misspelt option was ignored, and `null` was described as "got object".
  it("refuses options that are not a plain object, or that it does not know, naming them", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { execute: noop }), 1)
      .build();
    const draw = (options: unknown) => () => processor.toMermaid(options as never);
    expect(draw(null)).toThrow(
      "toMermaid: options must be a plain object like { direction }, got null",
    );
    expect(draw({ dirction: "LR" })).toThrow(
      "toMermaid: unknown option `dirction`; known options: direction, phases",
    );
    const throwing = Object.defineProperty({}, "direction", {
      enumerable: true,
      get() {
        throw new Error("no direction");
      },
    });
    expect(draw(throwing)).toThrow("toMermaid: options could not be read");
    // Only own fields are options: one inherited from the prototype is none.
    expect(draw(Object.create({ direction: "LR" }))).toThrow("got an object inheriting");
  });
});

/** Per task, what its label must read: its name, then its phases unless asked not to. */
function expectedLabel(name: string, phases: readonly PhaseName[], show: boolean): string {
  const short = { preExecute: "pre", execute: "exec", postExecute: "post" } as const;
  if (phases.length === 0 || !show) return name;
  return `${name}\n${phases.map((p) => short[p]).join(" · ")}`;
}

function expectedEdges(spec: WorkflowSpec): string[] {
  if (spec.mode === "graph") {
    return spec.tasks.flatMap((t, i) =>
      [...new Set(t.dependsOn)].sort((a, b) => a - b).map((d) => `t${d}->t${i}`),
    );
  }
  const levels = [...new Set(spec.tasks.map((t) => t.level))];
  return levels.slice(1).map((_, k) => `L${k}->L${k + 1}`);
}

describe("processor.toMermaid() read back by Mermaid's parser", () => {
  test.prop([workflowArb(hostileName, 10), fc.constantFrom("TB", "LR", "BT", "RL"), fc.boolean()], {
    numRuns: 150,
  })(
    "every task is one node labelled with its name (and phases), joins are circles, arrows follow the dependencies, barriers never appear",
    async (spec, direction, phases) => {
      const text = buildWorkflow(spec).toMermaid({ direction, phases });
      const parsed = await parseFlowchart(text);
      // Mermaid also lists, as nodes, the subgraphs that arrows touch.
      const nodes = parsed.nodes.filter((n) => !parsed.subgraphs.some((s) => s.id === n.id));
      const byId = new Map(nodes.map((n) => [n.id, n]));
      expect([...byId.keys()].sort()).toEqual(spec.tasks.map((_, i) => `t${i}`).sort());
      for (const [i, t] of spec.tasks.entries()) {
        const node = byId.get(`t${i}`)!;
        // Mermaid trims a label's white space at the ends; every other character is kept.
        expect(node.text).toBe(expectedLabel(t.name, t.phases, phases));
        expect(node.shape).toBe(t.phases.length === 0 ? "circle" : "square");
      }
      const edges = parsed.edges.map(([a, b]) => `${a}->${b}`);
      if (spec.mode === "graph") {
        expect(edges).toEqual(expectedEdges(spec));
        expect(parsed.subgraphs).toEqual([]);
      } else {
        const levels = [...new Set(spec.tasks.map((t) => t.level))].sort((a, b) => a - b);
        expect(edges).toEqual(levels.slice(1).map((_, k) => `L${k}->L${k + 1}`));
        // Mermaid lists subgraphs innermost first; all are at the top here, so in order.
        expect(parsed.subgraphs.map((s) => s.title)).toEqual(levels.map((l) => `level ${l}`));
        for (const [k, level] of levels.entries()) {
          const members = spec.tasks.flatMap((t, i) => (t.level === level ? [`t${i}`] : []));
          expect(parsed.subgraphs[k]!.nodes.slice().sort()).toEqual(members.slice().sort());
          expect(parsed.subgraphs[k]!.dir).toBe(direction);
        }
      }
    },
  );
});
