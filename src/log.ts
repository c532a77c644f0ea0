import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { escapeControl } from './core/printable.js';

export type { Logger } from 'pino';

export interface LogOptions {
  level: string;
  /** `auto`: pretty on a terminal, JSON otherwise. */
  format: 'json' | 'pretty' | 'auto';
}

/**
 * The process logger. Logs go to stderr so that `plan -o json` and `status -o json` keep stdout
 * clean. Anything that could hold a secret (rendered files carry the VRRP password) is redacted
 * as a second line of defence; the code never logs it in the first place.
 */
export function createLogger(options: LogOptions): Logger {
  const prettyOutput = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY);
  const base = {
    level: options.level,
    base: undefined,
    hooks: { logMethod: escapedLogMethod },
    redact: {
      paths: ['files', '*.files', 'desired.files', '*.desired.files', 'password', '*.password'],
      censor: '[redacted]',
    },
  };
  if (!prettyOutput) return pino(base, pino.destination({ dest: 2, sync: true }));
  return pino(
    base,
    pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: 'pid,hostname' }),
  );
}

/** How much of one logged string is kept: a 20 MB value costs a line, not 20 MB of log. */
const MAX_LOGGED_CHARS = 2000;
const MAX_LOGGED_DEPTH = 6;

/**
 * Every string of a log call (message, format arguments, fields, error messages) escaped as the
 * CLI output is (control and bidi characters as `\\uXXXX`) and capped, before pino serialises
 * it: the JSON and the pretty format then both show the escapes, never the raw characters.
 */
function escapedLogMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']): void {
  const escaped = (args as unknown[]).map((arg) => escapeForLog(arg, 0));
  (method as (...values: unknown[]) => void).apply(this, escaped);
}

export function escapeForLog(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    const cut =
      value.length > MAX_LOGGED_CHARS
        ? `${value.slice(0, MAX_LOGGED_CHARS)}… (${value.length} chars)`
        : value;
    return escapeControl(cut);
  }
  if (depth >= MAX_LOGGED_DEPTH || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return {
      type: value.name,
      message: escapeForLog(value.message, depth + 1),
      ...(code === undefined ? {} : { code: escapeForLog(code, depth + 1) }),
      ...(value.stack === undefined ? {} : { stack: escapeForLog(value.stack, depth + 1) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => escapeForLog(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [escapeControl(key), escapeForLog(item, depth + 1)]),
  );
}
