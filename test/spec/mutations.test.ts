/**
 * The mutation check (docs/verification.md) stays meaningful: every deliberate bug of
 * scripts/mutations.ts still applies to the engine as it is now. Running the mutants themselves
 * takes minutes (`npm run mutation`); this only checks that each target string stands exactly
 * once, so an engine change cannot silently turn a mutation into a no-op.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MUTATIONS } from "../../scripts/mutations.js";

const root = new URL("../../", import.meta.url);

function occurrences(text: string, find: string): number {
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + 1)) count++;
  return count;
}

describe("mutation check", () => {
  it("has at least six deliberate bugs, each naming the invariant it breaks", () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(6);
    for (const mutation of MUTATIONS) expect(mutation.breaks).toMatch(/INV-\d+/);
  });

  it.each(MUTATIONS.map((m) => [m.id, m] as const))(
    "%s still applies: each target string stands exactly once in the engine",
    (_id, mutation) => {
      for (const edit of mutation.edits) {
        const text = readFileSync(new URL(edit.file, root), "utf8");
        expect(occurrences(text, edit.find), `${edit.file}: ${edit.find}`).toBe(1);
      }
    },
  );
});
