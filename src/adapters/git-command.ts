import { execFile } from 'node:child_process';
import { escapeControl } from '../core/printable.js';
import { GitError, type GitErrorCode } from '../errors.js';

/** How much of git's stderr an error keeps (one line, for status and logs). */
export const GIT_MESSAGE_MAX_CHARS = 500;

export interface GitRunOptions {
  /** Runs as `git -C cwd` (or with `--git-dir`/`--work-tree` in `args`). */
  cwd?: string;
  timeoutMs: number;
  /** Extra environment (e.g. GIT_INDEX_FILE). */
  env?: Record<string, string>;
  /** What this command does, for the error: `fetch main from <url>`. */
  operation: string;
}

/** stdout of a git command that may print a lot (ls-tree of a big tree) is bounded too. */
const MAX_STDOUT_BYTES = 4 * 1024 * 1024;

/**
 * Runs git without a shell, bounded in time and output, never prompting for credentials, with
 * the `ext::` transport (which runs commands) refused. A failure is a {@link GitError} carrying
 * git's own message as text and the process error as cause.
 */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<string> {
  const fullArgs = [
    '-c',
    'protocol.ext.allow=never',
    ...(options.cwd === undefined ? [] : ['-C', options.cwd]),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      fullArgs,
      {
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_STDOUT_BYTES,
        // Never prompt: a cron job or daemon has no one to answer. C locale: messages we classify.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...options.env },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const killed = (error as { killed?: boolean }).killed === true;
        const text = gitMessage(String(stderr), killed, options.timeoutMs, error.message);
        reject(
          new GitError(killed ? 'git-timeout' : classify(text), options.operation, text, { cause: error }),
        );
      },
    );
  });
}

/** git's stderr as one printable, capped line; a password in any URL replaced by `***`. */
export function gitMessage(stderr: string, killed: boolean, timeoutMs: number, fallback: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter(
      (l) => l.length > 0 && !l.startsWith('Please make sure you have') && l !== 'and the repository exists.',
    );
  const said = lines.length > 0 ? lines.join(' | ') : (fallback.split('\n')[0] ?? 'git failed');
  const text = killed
    ? `no answer within ${timeoutMs / 1000} s (killed)${lines.length ? `; ${said}` : ''}`
    : said;
  const safe = escapeControl(redactUrls(text));
  return safe.length > GIT_MESSAGE_MAX_CHARS ? `${safe.slice(0, GIT_MESSAGE_MAX_CHARS)}… (cut)` : safe;
}

/** `https://user:secret@host/x` → `https://user:***@host/x`; `https://token@host` → `https://***@host`. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

const PATTERNS: [RegExp, GitErrorCode][] = [
  [/couldn't find remote ref|no such ref|not our ref|unknown revision|invalid refspec/i, 'git-ref-not-found'],
  [
    /does not appear to be a git repository|could not read from remote|unable to connect|connection refused|repository not exported|not found|no such repository|could not resolve host|unable to access|no such file or directory|permission denied|timed out/i,
    'git-remote-unreachable',
  ],
];

function classify(message: string): GitErrorCode {
  return PATTERNS.find(([pattern]) => pattern.test(message))?.[1] ?? 'git-failed';
}
