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

export type GitErrorCode =
  /** The remote cannot be reached or is no repository (wrong URL, server down, no access). */
  | 'git-remote-unreachable'
  /** The remote answered, but has no such branch, tag or commit (any more). */
  | 'git-ref-not-found'
  /** git did not finish within its time bound and was killed. */
  | 'git-timeout'
  /** Anything else git refused (a corrupt local repository, a full disk, ...). */
  | 'git-failed';

/**
 * A git command failed. `gitMessage` is git's own stderr (printable, one line, capped, with any
 * password in a URL hidden); the underlying process error is the `cause`.
 */
export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    /** What was being done, e.g. `fetch main from git://127.0.0.1:9418/ops.git`. */
    readonly operation: string,
    readonly gitMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${operation} failed: ${gitMessage}`, options);
  }
}

/** A short, single-line description of any thrown value, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
