/**
 * Traceability (spec/README.md): every invariant defined in spec/*.md (a bold `**INV-n`, or
 * `**PR-n` in spec/phase-runner.md) is cited by at least one test, and no test cites an id
 * that no spec defines. A citation is the id as a whole word anywhere in the source of a
 * test/**\/*.ts file (test names, comments, helpers), this file excepted.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const self = fileURLToPath(import.meta.url);

/** Ids defined in a spec text: `**PREFIX-n` (bold), in order of first appearance. */
function definedIds(specText: string): string[] {
  return [...new Set([...specText.matchAll(/\*\*([A-Z]+-\d+)\b/g)].map((m) => m[1]!))];
}

/** Ids with one of `prefixes` cited in a source text, as whole words. */
function citedIds(source: string, prefixes: readonly string[]): string[] {
  if (prefixes.length === 0) return [];
  const re = new RegExp(`(?<![\\w-])((?:${prefixes.join("|")})-\\d+)(?![\\w-])`, "g");
  return [...new Set([...source.matchAll(re)].map((m) => m[1]!))];
}

/** What is defined but never cited, and cited but never defined. */
function trace(
  defined: readonly string[],
  cited: ReadonlyMap<string, readonly string[]>,
): { uncited: string[]; unknown: { id: string; files: string[] }[] } {
  const known = new Set(defined);
  const citedAnywhere = new Set<string>();
  const unknown = new Map<string, string[]>();
  for (const [file, ids] of cited) {
    for (const id of ids) {
      citedAnywhere.add(id);
      if (!known.has(id)) unknown.set(id, [...(unknown.get(id) ?? []), file]);
    }
  }
  return {
    uncited: defined.filter((id) => !citedAnywhere.has(id)),
    unknown: [...unknown].map(([id, files]) => ({ id, files })),
  };
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(suffix))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

const byNumber = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

describe("traceability between spec/ and test/ (spec/README.md)", () => {
  const specs = filesUnder(join(root, "spec"), ".md");
  const defined = specs.flatMap((f) => definedIds(readFileSync(f, "utf8")));
  const prefixes = [...new Set(defined.map((id) => id.replace(/-\d+$/, "")))];
  const cited = new Map<string, string[]>();
  for (const file of filesUnder(join(root, "test"), ".ts")) {
    if (file === self) continue;
    cited.set(relative(root, file), citedIds(readFileSync(file, "utf8"), prefixes));
  }
  const { uncited, unknown } = trace(defined, cited);

  it("finds the invariants of spec/lifecycle.md (INV-1 to INV-19) and their numbering has no gap", () => {
    for (let n = 1; n <= 19; n++) expect(defined).toContain(`INV-${n}`);
    for (const prefix of prefixes) {
      const numbers = defined
        .filter((id) => id.startsWith(`${prefix}-`))
        .map((id) => Number(id.slice(prefix.length + 1)))
        .sort((a, b) => a - b);
      expect(numbers, `${prefix} ids`).toEqual(numbers.map((_, i) => i + 1));
    }
  });

  it("every invariant defined in spec/ is cited by a test", () => {
    expect(uncited.sort(byNumber), "invariants no test cites").toEqual([]);
  });

  it("no test cites an invariant that spec/ does not define", () => {
    expect(unknown, "ids cited by tests but defined nowhere").toEqual([]);
  });
});

describe("the traceability check itself", () => {
  it("reports an uncited id and a cited unknown id, matching whole words only", () => {
    const defined = definedIds("- **INV-1 One** ...\n- **INV-2 Two** ...\n- **INV-10 Ten**");
    expect(defined).toEqual(["INV-1", "INV-2", "INV-10"]);
    const cited = new Map([
      ["a.test.ts", citedIds('it("INV-10 and INV-1: ...")', ["INV"])],
      ["b.test.ts", citedIds("// see INV-3, not XINV-2 or INV-2x or INV-2-b", ["INV"])],
    ]);
    expect(cited.get("a.test.ts")).toEqual(["INV-10", "INV-1"]);
    expect(cited.get("b.test.ts")).toEqual(["INV-3"]);
    expect(trace(defined, cited)).toEqual({
      uncited: ["INV-2"],
      unknown: [{ id: "INV-3", files: ["b.test.ts"] }],
    });
  });
});
