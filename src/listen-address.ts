/**
 * The `--listen HOST:PORT` grammar, apart from src/config.ts so that the image's health check can
 * read the same variable without loading the whole command line.
 */
import { ConfigError } from './errors.js';

/** `HOST:PORT` of `--listen` (`[::1]:9107` for IPv6; an empty host is 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new ConfigError('bad-flag', `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:9107`);
  return { host: (match[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}
