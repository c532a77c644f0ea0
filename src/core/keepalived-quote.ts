/**
 * keepalived.conf's own quoting (lib/parser.c of keepalived 2.0.20 and 2.2.7): outside double
 * quotes, white space splits words, `#` and `!` start a comment and `{` / `}` open and close
 * blocks. Inside double quotes all of these are literal, but there is no escape for `"` itself,
 * a trailing `\` continues the line, and `$NAME` / `${NAME}` is replaced by a definition
 * (`$_PWD`, `$_HASH`, ... are always defined). So a quoted string can hold printable ASCII
 * except `"`, `\` and `$`; anything else cannot be written at all and is refused.
 */

/** A value keepalived.conf cannot hold. */
export class KeepalivedQuoteError extends Error {
  override readonly name = 'KeepalivedQuoteError';
}

const QUOTABLE = /^[\x20-\x7e]*$/;
const UNQUOTABLE = /["\\$]/;

/** Whether {@link keepalivedString} can write `value`. */
export function isKeepalivedQuotable(value: string): boolean {
  return QUOTABLE.test(value) && !UNQUOTABLE.test(value);
}

/** `value` as one double-quoted keepalived.conf word. @throws KeepalivedQuoteError */
export function keepalivedString(value: string): string {
  if (!isKeepalivedQuotable(value)) {
    throw new KeepalivedQuoteError(
      'keepalived.conf cannot hold this value: only printable ASCII other than ", \\ and $ can be quoted there',
    );
  }
  return `"${value}"`;
}

const BARE_WORD = /^[A-Za-z0-9_.:@/-]+$/;

/**
 * `value` as one bare keepalived.conf word (interface names, addresses): nothing that splits,
 * comments, quotes, opens a block or substitutes. @throws KeepalivedQuoteError
 */
export function keepalivedWord(value: string): string {
  if (!BARE_WORD.test(value)) {
    throw new KeepalivedQuoteError(`not a plain keepalived.conf word: only letters, digits and "_.:@/-"`);
  }
  return value;
}
