/**
 * Text from manifests, file names and remote engines is printed and logged: it must never drive
 * the terminal (ESC sequences, CR overwriting a line, BEL, bidi overrides reordering what is
 * shown) nor flood it. One escaping rule for everything the CLI prints and the logger writes.
 */

/**
 * C0 and C1 controls, DEL, the bidi controls (ALM, LRM, RLM, embeddings, overrides, isolates),
 * line/paragraph separators, the BOM, and lone surrogates.
 */
/* eslint-disable no-control-regex -- matching control characters is the point */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
const UNSAFE_KEEPING_NEWLINES =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
/* eslint-enable no-control-regex */

function escapeCode(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control, bidi and separator character written as `\uXXXX`. The result is
 * still valid inside a JSON string (the escapes mean the same characters there), so JSON output
 * can go through it too. With `keepNewlines`, `\n` stays a line break (for multi-line output
 * whose lines were built from already escaped parts).
 */
export function escapeControl(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? UNSAFE_KEEPING_NEWLINES : UNSAFE, escapeCode);
}

/** Whether `text` holds any character {@link escapeControl} would escape. */
export function hasControl(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** The first character {@link escapeControl} would escape, with its index, if any. */
export function firstControl(text: string): { index: number; escaped: string } | undefined {
  UNSAFE.lastIndex = 0;
  const match = UNSAFE.exec(text);
  UNSAFE.lastIndex = 0;
  return match ? { index: match.index, escaped: escapeCode(match[0]) } : undefined;
}

/** How many characters of a value a message quotes. */
export const QUOTE_MAX_CHARS = 80;

/**
 * A value quoted for a message: JSON-style, escaped, and cut after {@link QUOTE_MAX_CHARS}
 * characters with its full size added (`"aaaa…" (20971520 bytes)`), so a 20 MB value costs a line.
 */
export function quoteValue(value: string, maxChars = QUOTE_MAX_CHARS): string {
  // Cheap first cut in UTF-16 units, then whole code points.
  const head = value.length > maxChars * 2 ? value.slice(0, maxChars * 2) : value;
  const points = Array.from(head);
  const cut = points.length > maxChars || head.length < value.length;
  const shown = cut ? points.slice(0, maxChars).join('') : value;
  const quoted = escapeControl(JSON.stringify(shown));
  return cut ? `${quoted.slice(0, -1)}…" (${utf8Length(value)} bytes)` : quoted;
}

/** UTF-8 size of a string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** How many related locations one message lists. */
export const RELATED_MAX = 3;

/**
 * At most `max` items of a list for a message, and how many were left out: `a, b, c and 97 more`.
 * `total` is the length of the whole list when only its head was built.
 */
export function listCapped(items: readonly string[], max = RELATED_MAX, total = items.length): string {
  const shown = items.slice(0, max);
  return total > shown.length ? `${shown.join(', ')} and ${total - shown.length} more` : shown.join(', ');
}
