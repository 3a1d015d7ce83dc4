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

/** How many characters of a name (or an option's key) a message shows. */
const NAME_CHARS = 200;

/**
 * User text (a task name, an option's key) as a message shows it: escaped as a JavaScript
 * string literal would escape it, wherever it could mislead a reader, and cut after 200
 * characters, with `...` after it. Ordinary text, letters of every script and emoji included,
 * is shown as it is.
 *
 * @example escapedText("a\nb") // 'a\\nb'
 */
export function escapedText(text: unknown): string {
  const whole = typeof text === "string" ? text : safeString(text);
  const shown = cutShort(whole, NAME_CHARS);
  return shown === whole ? escaped(whole) : `${escaped(shown)}...`;
}

function escaped(text: string): string {
  return text.replace(SPECIAL, escapeChar);
}

/** The first `max` characters of `text`, never half of a surrogate pair. */
export function cutShort(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
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
 * always end where the name does. A name longer than 200 characters is shown cut, with its
 * length after the quotes, so that a huge name cannot make every message huge:
 * `"aaa..."... (1000000 characters)`.
 */
export function quoted(name: unknown): string {
  const whole = typeof name === "string" ? name : safeString(name);
  const shown = cutShort(whole, NAME_CHARS);
  return shown === whole
    ? `"${escaped(whole)}"`
    : `"${escaped(shown)}"... (${codePoints(whole)} characters)`;
}

/** How many characters `text` has as a reader counts them: an emoji's surrogate pair is one. */
function codePoints(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}
