/**
 * Typed errors: each carries a stable `code` for programs and a message for people, and keeps
 * the underlying error as `cause`.
 */

export type EndpointErrorCode =
  | 'endpoint-unreachable'
  | 'endpoint-config'
  | 'container-failed'
  | 'name-taken'
  | 'image-missing'
  | 'docker-api';

/** Something went wrong talking to one node's Docker engine. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    readonly code: EndpointErrorCode,
    readonly node: string,
    /** What went wrong, without the node's name (for lines that already name it). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${node}: ${detail}`, options);
  }
}

export type ConfigErrorCode = 'bad-flag' | 'lock-held' | 'git-unavailable';

/** The command line, environment or a referenced file cannot be used as given. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A short, single-line description of any thrown value, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
