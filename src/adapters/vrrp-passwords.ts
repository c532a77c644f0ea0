import { passwordEnvRefusal } from '../core/password-rules.js';
import { problemAt } from '../core/problem-location.js';
import type { LoadedVirtualIP, ManifestProblem } from '../core/types.js';
import { vrrpPasswordProblem } from '../core/vrrp-password.js';
import { readPasswordFile, type PasswordFileRead } from './password-file.js';

/** Where VRRP passwords may come from: the operator's choice, not the manifest author's. */
export interface PasswordSources {
  env: NodeJS.ProcessEnv;
  /** `passwordEnv` must name a variable starting with this (`--password-env-prefix`). */
  envPrefix: string;
  /** `passwordFile` must lie inside one of these (`--password-dir`); none: passwordFile refused. */
  dirs: readonly string[];
  /** Reads a password file under `dirs`; the real file system unless a test says otherwise. */
  readFile?: (file: string, dirs: readonly string[]) => PasswordFileRead;
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
 * dropped (files written by `echo` end with one). A manifest may name only variables with the
 * configured prefix and files inside the configured directories (see `readPasswordFile`): whoever
 * writes manifests must not be able to send any other secret of the reconciler's host to the
 * nodes, where VRRPv2 puts it on the wire in clear.
 */
export function readVrrpPasswords(vips: readonly LoadedVirtualIP[], sources: PasswordSources): VrrpPasswords {
  const result: VrrpPasswords = { passwords: new Map(), problems: [], frozen: new Set() };
  for (const vip of vips) {
    const auth = vip.manifest.spec.authentication;
    if (!auth) continue;
    const name = vip.manifest.metadata.name;
    const read = readOne(name, auth, sources);
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
  vipName: string,
  auth: { passwordEnv?: string | undefined; passwordFile?: string | undefined },
  sources: PasswordSources,
): Read {
  if (auth.passwordEnv !== undefined) {
    // Checked before the variable is looked up: a refusal says nothing about whether it is set.
    const refusal = passwordEnvRefusal(auth.passwordEnv, sources.envPrefix, vipName);
    if (refusal !== undefined) return { pointer: '/spec/authentication/passwordEnv', problem: refusal };
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
  const read = (sources.readFile ?? readPasswordFile)(auth.passwordFile, sources.dirs);
  if ('problem' in read) return { pointer: '/spec/authentication/passwordFile', problem: read.problem };
  return { password: read.password.replace(/\r?\n$/, '') };
}
