/** A value a shell word cannot carry: a NUL byte ends a C string, so sh would cut it there. */
export class ShellQuoteError extends Error {
  override readonly name = 'ShellQuoteError';
}

/**
 * One POSIX sh word that stands for `value` literally, whatever characters it holds (single
 * quotes: nothing inside is special; a `'` is closed, escaped and reopened).
 *
 * @throws ShellQuoteError for a NUL character, which no shell word can hold.
 */
export function shellQuote(value: string): string {
  if (value.includes('\u0000')) throw new ShellQuoteError('a NUL character cannot be passed to a shell');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
