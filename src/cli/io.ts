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
  stdout: (line) => {
    // After the reader went away (see tolerateClosedReader) there is no one left to tell.
    if (!process.stdout.destroyed) process.stdout.write(`${escapeControl(line, { keepNewlines: true })}\n`);
  },
  stderr: (line) => void process.stderr.write(`${escapeControl(line, { keepNewlines: true })}\n`),
};

/**
 * A reader that stops reading (`reconciler validate DIR | head -3`) is the reader's choice, not a
 * failure of ours: stdout's EPIPE would otherwise crash the process with a stack trace. Later lines
 * are dropped; the command finishes and exits with its own code.
 */
export function tolerateClosedReader(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

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
