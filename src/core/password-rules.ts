/**
 * Where a manifest may take its VRRP password from: the operator's bounds (`--password-env-prefix`,
 * `--password-dir`), not the manifest author's. The daemon checks them before it looks anything
 * up (src/adapters/vrrp-passwords.ts, password-file.ts); `reconciler validate` checks the same
 * rules without reading any secret. One place for the rules and their words.
 */
import path from 'node:path';
import { problemAt } from './problem-location.js';
import type { LoadedVirtualIP, ManifestProblem } from './types.js';

/** Variables a manifest's `passwordEnv` may name unless `--password-env-prefix` says otherwise. */
export const DEFAULT_PASSWORD_ENV_PREFIX = 'VRRP_PASSWORD';

/** The operator's bounds on the password sources a manifest may name. */
export interface PasswordRules {
  /** `passwordEnv` must start with this. */
  envPrefix: string;
  /** Absolute directories; `passwordFile` must lie inside one of them. Empty: passwordFile refused. */
  dirs: readonly string[];
}

/**
 * The variable `import` writes for a VIP and messages suggest: the prefix, then the VIP's name in
 * upper case (`VRRP_PASSWORD` and `web` → `VRRP_PASSWORD_WEB`). At most 64 + 1 + 63 characters,
 * within the schema's 128.
 */
export function passwordEnvFor(vipName: string, envPrefix: string): string {
  const name = vipName.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return envPrefix.endsWith('_') ? `${envPrefix}${name}` : `${envPrefix}_${name}`;
}

/** Why `passwordEnv` names a variable the reconciler must not read, with one it would; undefined when allowed. */
export function passwordEnvRefusal(variable: string, envPrefix: string, vipName: string): string | undefined {
  if (variable.startsWith(envPrefix)) return undefined;
  return (
    `passwordEnv ${variable} is refused: the reconciler reads passwords only from variables whose name ` +
    `starts with ${envPrefix} (--password-env-prefix, SWARM_VIP_PASSWORD_ENV_PREFIX), e.g. ` +
    `passwordEnv: ${passwordEnvFor(vipName, envPrefix)}`
  );
}

/** `passwordFile` while no password directory is configured: refused, saying how to allow it. */
export function noPasswordDirRefusal(file: string): string {
  return (
    `passwordFile ${file} is refused: no password directory is configured; start the reconciler with ` +
    '--password-dir DIR (or SWARM_VIP_PASSWORD_DIRS=DIR1:DIR2) naming the directory that holds it'
  );
}

/**
 * `passwordFile` outside every password directory, naming the directories it may be in. The same
 * words whether the file exists or not: a refusal must not tell what is on the host.
 */
export function outsidePasswordDirsRefusal(file: string, dirs: readonly string[]): string {
  return (
    `passwordFile ${file} is refused: it is not inside a password directory (${dirs.join(', ')}) ` +
    'once links are resolved; put the file there or add its directory with --password-dir'
  );
}

/**
 * Whether the absolute path `candidate` lies strictly inside the absolute directory `dir`, by the
 * names alone (no link is resolved here). `..data` (Kubernetes, git-sync) is a name inside; only
 * `..` itself climbs out.
 */
export function isInsideDir(candidate: string, dir: string): boolean {
  const relative = path.posix.relative(dir, candidate);
  const climbs = relative === '..' || relative.startsWith('../');
  return relative !== '' && !climbs && !path.posix.isAbsolute(relative);
}

/**
 * The refusal of a `passwordFile` as written (links unresolved, a relative path never inside), or
 * undefined when it may be looked up. `alsoDirs`: the same directories as they really are (the
 * daemon's, with links resolved), accepted too but not named.
 */
export function passwordFileRefusal(
  file: string,
  dirs: readonly string[],
  alsoDirs: readonly string[] = [],
): string | undefined {
  if (dirs.length === 0) return noPasswordDirRefusal(file);
  const written = path.posix.isAbsolute(file) ? path.posix.normalize(file) : undefined;
  const inside = written !== undefined && [...dirs, ...alsoDirs].some((dir) => isInsideDir(written, dir));
  return inside ? undefined : outsidePasswordDirsRefusal(file, dirs);
}

/**
 * Each VIP whose `authentication` names a source the rules refuse, at the field that names it
 * (`reconciler validate`). Nothing is looked up: a variable that is not set here or a file that
 * does not exist here is no problem, since they live on the reconciler's host. A file is judged
 * by its path as written; the daemon also checks it with links resolved.
 */
export function passwordRuleProblems(
  vips: readonly LoadedVirtualIP[],
  rules: PasswordRules,
): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const vip of vips) {
    const refusal = sourceRefusal(vip, rules);
    if (refusal === undefined) continue;
    const name = vip.manifest.metadata.name;
    const pointer = `/spec/authentication/${refusal.field}`;
    const located = problemAt(vip.origin, pointer, 'vrrp-password', `VirtualIP ${name}: ${refusal.problem}`);
    problems.push({ ...located, vip: name });
  }
  return problems;
}

/** The field of a VIP's `authentication` the rules refuse, as the daemon reads it (passwordEnv first). */
function sourceRefusal(
  vip: LoadedVirtualIP,
  rules: PasswordRules,
): { field: 'passwordEnv' | 'passwordFile'; problem: string } | undefined {
  const auth = vip.manifest.spec.authentication;
  if (auth?.passwordEnv !== undefined) {
    const problem = passwordEnvRefusal(auth.passwordEnv, rules.envPrefix, vip.manifest.metadata.name);
    return problem === undefined ? undefined : { field: 'passwordEnv', problem };
  }
  if (auth?.passwordFile !== undefined) {
    const problem = passwordFileRefusal(auth.passwordFile, rules.dirs);
    return problem === undefined ? undefined : { field: 'passwordFile', problem };
  }
  return undefined;
}
