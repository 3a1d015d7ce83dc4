/**
 * Mermaid's own parser (mermaid 11, under jsdom: a test file that imports this starts with
 * `// @vitest-environment jsdom`), and what it made of a diagram: a flowchart's nodes, edges
 * and subgraphs, a Gantt chart's bars. Texts come back decoded, as a reader would see them.
 */
import mermaid from "mermaid";

/** A flowchart as Mermaid parsed it. */
export interface ParsedFlowchart {
  readonly nodes: readonly { id: string; text: string; shape: string }[];
  readonly edges: readonly (readonly [string, string])[];
  readonly subgraphs: readonly { id: string; title: string; nodes: string[]; dir: string }[];
}

/** A Gantt bar as Mermaid parsed it; times in ms since 1970, as the chart's `dateFormat x`. */
export interface ParsedBar {
  readonly section: string;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly tags: readonly string[];
}

interface Vertex {
  readonly id: string;
  readonly text: string;
  readonly type: string;
}
interface FlowDb {
  getVertices(): Map<string, Vertex>;
  getEdges(): { start: string; end: string }[];
  getSubGraphs(): { id: string; title: string; nodes: string[]; dir?: string }[];
}
interface GanttTask {
  readonly section: string;
  readonly task: string;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly active: boolean;
  readonly done: boolean;
  readonly crit: boolean;
  readonly milestone: boolean;
}
interface GanttDb {
  getTasks(): GanttTask[];
}

/**
 * Mermaid turns each entity code `#n;` into a placeholder before it parses, and into `&#n;`
 * when it draws: this is what the reader sees. `<br>` is a line break.
 */
export function decodeMermaidText(text: string): string {
  return text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replaceAll("<br>", "\n");
}

async function diagramOf(text: string): Promise<{ type: string; db: unknown }> {
  await mermaid.parse(text); // throws on a syntax error; registers the diagram types
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  return { type: diagram.type, db: diagram.db };
}

/** Parses a flowchart with Mermaid; throws what Mermaid throws on a syntax error. */
export async function parseFlowchart(text: string): Promise<ParsedFlowchart> {
  const { type, db } = await diagramOf(text);
  if (type !== "flowchart-v2") throw new Error(`expected a flowchart, Mermaid saw ${type}`);
  const flow = db as FlowDb;
  return {
    nodes: [...flow.getVertices().values()].map((v) => ({
      id: v.id,
      text: decodeMermaidText(v.text),
      shape: v.type,
    })),
    edges: flow.getEdges().map((e) => [e.start, e.end] as const),
    subgraphs: flow.getSubGraphs().map((s) => ({
      id: s.id,
      title: decodeMermaidText(s.title),
      nodes: s.nodes,
      dir: s.dir ?? "",
    })),
  };
}

/** Parses a Gantt chart with Mermaid; throws what Mermaid throws on a syntax error. */
export async function parseGantt(text: string): Promise<ParsedBar[]> {
  const { type, db } = await diagramOf(text);
  if (type !== "gantt") throw new Error(`expected a gantt chart, Mermaid saw ${type}`);
  return (db as GanttDb).getTasks().map((t) => ({
    section: decodeMermaidText(t.section),
    // The text ends before the `:` of the data; the space before it is not part of the name.
    text: decodeMermaidText(t.task).trimEnd(),
    start: t.startTime.getTime(),
    end: t.endTime.getTime(),
    tags: (["active", "done", "crit", "milestone"] as const).filter((tag) => t[tag]),
  }));
}
