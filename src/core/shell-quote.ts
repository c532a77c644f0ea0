/** One POSIX sh word that stands for `value` literally, whatever characters it holds. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
