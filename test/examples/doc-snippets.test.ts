/**
 * Every ```ts block of README.md and of the user guides this suite owns compiles against the
 * real API (`sdax` resolved to src/index.ts), under the project's strict settings. The blocks
 * of docs/getting-started.md build on each other, so they are compiled as one module. The
 * snippets live (in memory) under the repository, whose package.json makes them ES modules.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pages = [
  "README.md",
  "docs/getting-started.md",
  "docs/concepts.md",
  "docs/errors.md",
  "docs/phase-runner.md",
];

function snippets(): Map<string, string> {
  const files = new Map<string, string>();
  for (const page of pages) {
    const text = readFileSync(`${root}${page}`, "utf8");
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    const base = page.replace(/[/.]/g, "_");
    if (page === "docs/getting-started.md") {
      files.set(`${root}.snippets/${base}.ts`, `${blocks.join("\n")}\nexport {};\n`);
    } else {
      blocks.forEach((block, i) => {
        files.set(`${root}.snippets/${base}_${i + 1}.ts`, `${block}\nexport {};\n`);
      });
    }
  }
  return files;
}

describe("documentation code examples", () => {
  it("every TypeScript example in README.md and the guides compiles against src/index.ts", () => {
    const files = snippets();
    expect(files.size).toBeGreaterThanOrEqual(pages.length);
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
      allowImportingTsExtensions: true,
      baseUrl: root,
      paths: { sdax: ["src/index.ts"] },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => files.get(name) ?? readFile(name);
    host.fileExists = (name) => files.has(name) || fileExists(name);
    // The snippets are ES modules (top-level await): say so for the snippet folder.
    // A canary with a wrong phase name: proves the check reports what it should.
    const canary = `${root}.snippets/canary.ts`;
    files.set(
      canary,
      'import { task } from "sdax";\nexport const t = task<object>("x", { exec: () => {} });\n',
    );
    const snippetPackage = `${root}.snippets/package.json`;
    files.set(snippetPackage, '{ "type": "module" }');
    const program = ts.createProgram(
      [...files.keys()].filter((f) => f.endsWith(".ts")),
      options,
      host,
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || files.has(d.file.fileName))
      .map((d) => {
        const where =
          d.file === undefined || d.start === undefined
            ? ""
            : `${d.file.fileName.slice(root.length)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
        return `${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    const canaryProblems = problems.filter((p) => p.startsWith(".snippets/canary.ts"));
    expect(canaryProblems.join("\n")).toMatch(/exec/);
    expect(problems.filter((p) => !p.startsWith(".snippets/canary.ts"))).toEqual([]);
  }, 30_000);
});
