import type { LoadedVirtualIP } from '../core/types.js';
import { describeError } from '../errors.js';

export interface PasswordSources {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export interface PasswordProblem {
  vip: string;
  /** JSON pointer of the manifest field naming the source. */
  path: string;

  message: string;
}

/**
 * The VRRP passwords of the VIPs that declare `authentication`, read from the reconciler's own
 * files or environment. Manifests never carry a password inline; a missing one is a problem of
 * that VIP only. One trailing newline is dropped (files written by `echo` end with one).
 */
export function readVrrpPasswords(
  vips: readonly LoadedVirtualIP[],
  sources: PasswordSources,
): { passwords: Map<string, string>; problems: PasswordProblem[] } {
  const passwords = new Map<string, string>();
  const problems: PasswordProblem[] = [];
  for (const { manifest } of vips) {
    const auth = manifest.spec.authentication;
    if (!auth) continue;
    const vip = manifest.metadata.name;
    if (auth.passwordEnv !== undefined) {
      const value = sources.env[auth.passwordEnv];
      if (value) passwords.set(vip, value.replace(/\r?\n$/, ''));
      else
        problems.push({
          vip,
          path: '/spec/authentication/passwordEnv',
          message: `environment variable ${auth.passwordEnv} (passwordEnv) is not set in the reconciler's environment`,
        });
    } else if (auth.passwordFile !== undefined) {
      try {
        passwords.set(vip, sources.readFile(auth.passwordFile).replace(/\r?\n$/, ''));
      } catch (error) {
        problems.push({
          vip,
          path: '/spec/authentication/passwordFile',
          message: `cannot read passwordFile ${auth.passwordFile}: ${describeError(error)}`,
        });
      }
    }
  }
  return { passwords, problems };
}
