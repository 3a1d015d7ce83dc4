/**
 * mermaidLabel: any string becomes a label made only of plain characters and entity codes,
 * which Mermaid decodes back to the string.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { mermaidLabel } from "../../src/visualize/mermaid-text.js";

/** What Mermaid shows for a label: each `#n;` is the character with code point n. */
const decode = (label: string) =>
  label.replace(/#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));

describe("mermaidLabel", () => {
  it("keeps letters, digits and plain punctuation; writes the rest as entity codes", () => {
    expect(mermaidLabel("Database")).toBe("Database");
    expect(mermaidLabel("user-data_v2 (eu), ok?")).toBe("user-data_v2 (eu), ok?");
    expect(mermaidLabel('a "b" #c; [d]')).toBe("a #34;b#34; #35;c#59; #91;d#93;");
    expect(mermaidLabel("a:b%c`d<e>&|")).toBe("a#58;b#37;c#96;d#60;e#62;#38;#124;");
    expect(mermaidLabel("café 日本")).toBe("café 日本");
    expect(mermaidLabel("🙂")).toBe("#128578;");
    expect(mermaidLabel("line\nbreak")).toBe("line#10;break");
  });

  it("keeps a space at either end, which Mermaid would trim, and never returns an empty label", () => {
    expect(mermaidLabel(" a b ")).toBe("#32;a b#32;");
    expect(mermaidLabel("")).toBe("#32;");
  });

  it("an entity code in a name is shown as written, not decoded", () => {
    expect(decode(mermaidLabel("#quot;"))).toBe("#quot;");
    expect(decode(mermaidLabel("#35;"))).toBe("#35;");
  });

  test.prop([fc.string({ unit: "binary", minLength: 1 })])(
    "any string: only plain characters and entity codes, and it decodes back to itself",
    (text) => {
      const label = mermaidLabel(text);
      expect(label).toMatch(/^(?:[\p{L}\p{N} _.,()/+!?@'-]|#\d+;)+$/u);
      expect(label).not.toMatch(/^ | $/);
      expect(decode(label)).toBe(text);
    },
  );
});
