/**
 * Text that goes into a Mermaid diagram. Task names are user input: any string may be one.
 * Mermaid's grammars give meaning to quotes, brackets, `#`, `;`, `:`, `%` and more, and each
 * diagram type to different ones, so a label keeps only letters, digits and a few plain
 * punctuation marks and writes every other character as a Mermaid entity code (`#35;` for
 * `#`), which Mermaid decodes when it draws. Node ids are never names (see flowchart.ts).
 */

/** Characters that mean nothing to any Mermaid grammar inside a label. */
const PLAIN = /^[\p{L}\p{N} _.,()/+!?@'-]$/u;

/** Writes one character as a Mermaid entity code, by code point (`"` is `#34;`). */
function entity(char: string): string {
  return `#${char.codePointAt(0)};`;
}

/**
 * `text` as a Mermaid label: plain characters kept, every other character (and a space at
 * either end, which Mermaid would trim) written as an entity code. Never empty: an empty
 * text gives `#32;`.
 */
export function mermaidLabel(text: string): string {
  if (text.length === 0) return entity(" ");
  const chars = Array.from(text);
  const last = chars.length - 1;
  return chars
    .map((char, i) => {
      if (char === " ") return i === 0 || i === last ? entity(char) : char;
      return PLAIN.test(char) ? char : entity(char);
    })
    .join("");
}
