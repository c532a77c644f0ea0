import { problemAt } from '../core/problem-location.js';
import type { LoadedVirtualIP, ManifestProblem } from '../core/types.js';
import { vrrpPasswordProblem } from '../core/vrrp-password.js';
import { describeError } from '../errors.js';

export interface PasswordSources {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export interface VrrpPasswords {
  /** Usable passwords by VIP name. */
  passwords: Map<string, string>;
  /** One per VIP whose password is missing or unusable, at the manifest field naming its source. */
  problems: ManifestProblem[];
  /** The VIPs of those problems: their containers stay as they are. */
  frozen: Set<string>;
}

/**
 * The VRRP passwords of the VIPs that declare `authentication`, read from the reconciler's own
 * files or environment and checked (length, characters keepalived can take). Manifests never
 * carry a password inline; a missing one is a problem of that VIP only. One trailing newline is
 * dropped (files written by `echo` end with one).
 */
export function readVrrpPasswords(vips: readonly LoadedVirtualIP[], sources: PasswordSources): VrrpPasswords {
  const result: VrrpPasswords = { passwords: new Map(), problems: [], frozen: new Set() };
  for (const vip of vips) {
    const auth = vip.manifest.spec.authentication;
    if (!auth) continue;
    const name = vip.manifest.metadata.name;
    const read = readOne(auth, sources);
    const problem = 'problem' in read ? read.problem : vrrpPasswordProblem(read.password);
    if (problem === undefined && 'password' in read) {
      result.passwords.set(name, read.password);
      continue;
    }
    const pointer = 'problem' in read ? read.pointer : '/spec/authentication';
    const located = problemAt(vip.origin, pointer, 'vrrp-password', `VirtualIP ${name}: ${problem}`);
    result.problems.push({ ...located, vip: name });
    result.frozen.add(name);
  }
  return result;
}

type Read = { password: string } | { problem: string; pointer: string };

function readOne(
  auth: { passwordEnv?: string | undefined; passwordFile?: string | undefined },
  sources: PasswordSources,
): Read {
  if (auth.passwordEnv !== undefined) {
    const value = sources.env[auth.passwordEnv];
    if (value) return { password: value.replace(/\r?\n$/, '') };
    return {
      pointer: '/spec/authentication/passwordEnv',
      problem: `environment variable ${auth.passwordEnv} (passwordEnv) is not set in the reconciler's environment`,
    };
  }
  if (auth.passwordFile === undefined) {
    return { pointer: '/spec/authentication', problem: 'neither passwordEnv nor passwordFile is set' };
  }
  try {
    return { password: sources.readFile(auth.passwordFile).replace(/\r?\n$/, '') };
  } catch (error) {
    return {
      pointer: '/spec/authentication/passwordFile',
      problem: `cannot read passwordFile ${auth.passwordFile}: ${describeError(error)}`,
    };
  }
}
