/**
 * `@opentelemetry/api` is an optional peer dependency: only `sdax/otel` may need it. The main
 * entry point's import graph (type imports included, since declarations would carry them)
 * never reaches it nor any file of src/otel, and no file of src outside src/otel names it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const src = join(root, "src");

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The source file a relative specifier names (`./x.js` is `./x.ts`). */
function resolveRelative(from: string, specifier: string): string {
  return resolve(dirname(from), specifier.replace(/\.js$/, ".ts"));
}

/** Every file reachable from `entry` by relative imports, with the bare specifiers they use. */
function importGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>(); // package specifier -> a file importing it
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith(".")) queue.push(resolveRelative(file, specifier));
      else packages.set(specifier, relative(root, file));
    }
  }
  return { files, packages };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => join(d.parentPath, d.name));
}

describe("the core never needs @opentelemetry/api", () => {
  it("src/index.ts's import graph reaches no @opentelemetry package and no file of src/otel", () => {
    const { files, packages } = importGraph(join(src, "index.ts"));
    expect(files.size).toBeGreaterThan(20); // the graph was followed
    expect(files.has(join(src, "processor.ts"))).toBe(true);
    const otelFiles = [...files].filter((f) => f.startsWith(join(src, "otel")));
    expect(otelFiles).toEqual([]);
    const otelPackages = [...packages].filter(([p]) => p.startsWith("@opentelemetry"));
    expect(otelPackages).toEqual([]);
  });

  it("no file of src outside src/otel names an @opentelemetry package", () => {
    const naming = sourceFiles(src)
      .filter((f) => !f.startsWith(join(src, "otel")))
      .filter((f) => specifiersOf(f).some((s) => s.startsWith("@opentelemetry")))
      .map((f) => relative(root, f));
    expect(naming).toEqual([]);
  });

  it("src/otel needs @opentelemetry/api and nothing else of OpenTelemetry", () => {
    const { packages } = importGraph(join(src, "otel", "index.ts"));
    const otel = [...packages.keys()].filter((p) => p.startsWith("@opentelemetry"));
    expect(otel).toEqual(["@opentelemetry/api"]);
  });
});
