import { escapeControl } from '../core/printable.js';

/** Where a command writes, a line at a time; injected so tests can capture it. */
export interface CommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/**
 * stdout and stderr, every line escaped (control and bidi characters as `\\uXXXX`; a line break
 * inside the text stays one, for multi-line tables) so nothing printed can drive a terminal.
 */
export const processIo: CommandIo = {
  stdout: (line) => void process.stdout.write(`${escapeControl(line, { keepNewlines: true })}\n`),
  stderr: (line) => void process.stderr.write(`${escapeControl(line, { keepNewlines: true })}\n`),
};

/**
 * Resolves once everything written to stdout and stderr so far has been handed to the OS: a
 * `process.exit` before that cuts piped output at a random point (and loses the summary).
 */
export function drainOutput(): Promise<void> {
  const drained = (stream: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => {
      if (stream.destroyed || !stream.writable) resolve();
      else stream.write('', () => resolve());
    });
  return Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => undefined);
}
