import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

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
