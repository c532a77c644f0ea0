/** What went wrong, as a stable code a caller (or a CI log reader) can branch on. */
export type ClusterErrorCode =
  | 'bad-option'
  | 'not-root'
  | 'missing-binary'
  | 'name-in-use'
  | 'command-failed'
  | 'timeout'
  | 'dockerd-failed'
  | 'swarm-failed'
  | 'image-failed'
  | 'not-up'
  | 'bad-description'
  | 'leftovers'
  | 'split-brain';

/** Every failure of the test-cluster tooling: a code, a message that says what to do, and the cause. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message of anything thrown, for logs and wrapped errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
