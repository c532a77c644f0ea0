/**
 * `reconciler validate [DIR]`: every problem of a manifest directory as `file:line:col  path
 * message`, for the CI of a GitOps repository. Exit code 0 when all is valid, 1 otherwise.
 * The VRRP password sources are checked against the reconciler's rules (given as the same flags),
 * without reading any secret. Notices (what a valid manifest costs, e.g. the slow failover that authentication forces) print
 * the same way with `notice:` before the message and never change the exit code.
 */
import path from 'node:path';
import { manifestNotices } from '../core/manifest-checks/notices.js';
import {
  DEFAULT_PASSWORD_ENV_PREFIX,
  passwordRuleProblems,
  type PasswordRules,
} from '../core/password-rules.js';
import { escapeControl } from '../core/printable.js';
import { sortProblems } from '../core/problem-location.js';
import type { ManifestProblem } from '../core/types.js';
import { loadManifestDir, ManifestDirError, type ManifestDirDeps } from '../manifest/load-manifest-dir.js';
import type { ManifestSet } from '../ports.js';
import { EXIT } from './exit-codes.js';

export interface ValidateArgs {
  dir: string;
  /**
   * The reconciler's password rules (`--password-env-prefix`, `--password-dir`): a manifest that
   * names a source they refuse is an error here as it is in the daemon. Default: the daemon's
   * defaults (prefix VRRP_PASSWORD, no password directory).
   */
  passwords?: PasswordRules;
}

export interface ValidateIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Files are shown relative to this directory. Default: process.cwd(). */
  cwd?: string;
  /** Default: the real file system. */
  fs?: ManifestDirDeps;
}

export async function validateCommand({ dir, passwords }: ValidateArgs, io: ValidateIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  let set: ManifestSet;
  try {
    const absolute = path.resolve(cwd, dir);
    const fileLabel = (relative: string): string => path.relative(cwd, path.join(absolute, relative));
    set = await loadManifestDir(absolute, io.fs, { fileLabel });
  } catch (error) {
    io.stderr(`error: ${describeLoadError(error, dir)}`);
    return EXIT.validate.invalid;
  }
  // Only the rules: no variable is looked up and no file read (they live on the reconciler's host).
  const rules = passwords ?? { envPrefix: DEFAULT_PASSWORD_ENV_PREFIX, dirs: [] };
  const problems = sortProblems([...set.problems, ...passwordRuleProblems(set.virtualIPs, rules)], set.files);
  for (const line of formatProblems(problems, cwd)) io.stdout(line);
  const notices = manifestNotices(set.virtualIPs);
  for (const notice of notices)
    io.stdout(formatProblem({ ...notice, message: `notice: ${notice.message}` }, cwd));
  io.stdout(summary(set, problems) + (notices.length > 0 ? `; ${plural(notices.length, 'notice')}` : ''));
  return problems.length === 0 ? EXIT.validate.valid : EXIT.validate.invalid;
}

/**
 * `file:line:col  path  message`, the file relative to `cwd`, `/` for the whole document. File
 * names, paths and messages may carry anything a manifest holds: control characters are escaped
 * (a file name must not forge a line) and a long path is cut.
 */
export function formatProblem(problem: ManifestProblem, cwd: string): string {
  const file = path.relative(cwd, path.resolve(cwd, problem.file)) || problem.file;
  const pointer = problem.path || '/';
  const shown = pointer.length > MAX_PATH_CHARS ? `${pointer.slice(0, MAX_PATH_CHARS)}…` : pointer;
  return escapeControl(`${file}:${problem.line}:${problem.col}  ${shown}  ${problem.message}`);
}

/** How many problems one command prints; the rest are counted in a last line. */
export const MAX_PRINTED_PROBLEMS = 500;
const MAX_PATH_CHARS = 200;

/** Each problem as a line, at most {@link MAX_PRINTED_PROBLEMS}, then what was left out. */
export function formatProblems(problems: readonly ManifestProblem[], cwd: string): string[] {
  const lines = problems.slice(0, MAX_PRINTED_PROBLEMS).map((problem) => formatProblem(problem, cwd));
  const left = problems.length - lines.length;
  if (left > 0) {
    const files = new Set(problems.slice(MAX_PRINTED_PROBLEMS).map((problem) => problem.file)).size;
    lines.push(
      `… and ${plural(left, 'more problem')} in ${plural(files, 'file')} not shown (fix the ones above first)`,
    );
  }
  return lines;
}

function summary(set: ManifestSet, problems: readonly ManifestProblem[]): string {
  if (problems.length > 0) {
    const files = new Set(problems.map((problem) => problem.file)).size;
    return `${plural(problems.length, 'problem')} in ${plural(files, 'file')}`;
  }
  const total = set.virtualIPs.length + set.endpoints.length;
  return `${plural(total, 'manifest')} valid (${set.virtualIPs.length} VirtualIP, ${set.endpoints.length} NodeEndpoint)`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function describeLoadError(error: unknown, dir: string): string {
  if (error instanceof ManifestDirError) {
    const messages: Record<ManifestDirError['code'], string> = {
      'manifest-dir-not-found': `manifest directory ${dir} does not exist`,
      'manifest-dir-not-a-directory': `${dir} is not a directory; give the directory that holds the manifests`,
      'manifest-dir-unreadable': error.message,
    };
    return messages[error.code];
  }
  return error instanceof Error ? error.message : String(error);
}
