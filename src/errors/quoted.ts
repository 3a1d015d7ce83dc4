import { safeString } from "./describe-error.js";

/**
 * What a message must not print as it is: a quote or backslash (it would end or blur the
 * quotes), control characters and line or paragraph separators (a name with a newline could
 * forge a line of a log), invisible format characters (bidirectional controls reorder what
 * follows on screen; a zero-width space makes two names look alike) and lone surrogates. The
 * joiners that emoji and some scripts are written with (U+200C, U+200D, tag characters) are
 * kept.
 */
const SPECIAL = /["\\\p{Cc}\p{Zl}\p{Zp}]|(?!\u200c|\u200d|[\u{e0020}-\u{e007f}])\p{Cf}|\p{Cs}/gu;
/** The same, but quotes and backslashes: what a whole message must not hold. */
const INVISIBLE = /[\p{Cc}\p{Zl}\p{Zp}]|(?!\u200c|\u200d|[\u{e0020}-\u{e007f}])\p{Cf}|\p{Cs}/gu;

const SHORT: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function escapeChar(char: string): string {
  const short = SHORT[char];
  if (short !== undefined) return short;
  const code = char.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * User text (a task name, an option's key) as a message shows it: escaped as a JavaScript
 * string literal would escape it, wherever it could mislead a reader. Ordinary text, letters of
 * every script and emoji included, is shown as it is.
 *
 * @example escapedText("a\nb") // 'a\\nb'
 */
export function escapedText(text: unknown): string {
  return (typeof text === "string" ? text : safeString(text)).replace(SPECIAL, escapeChar);
}

/**
 * A whole message, its names already {@link quoted}, with whatever else could forge a line or
 * hide text escaped: for messages that show fields of events that may be forged.
 */
export function oneLine(message: string): string {
  return message.replace(INVISIBLE, escapeChar);
}

/**
 * A task name in double quotes, as every message shows one: `"fetch"`. A name holding a quote,
 * a newline or another character {@link escapedText} escapes is shown escaped, so the quotes
 * always end where the name does.
 */
export function quoted(name: unknown): string {
  return `"${escapedText(name)}"`;
}
