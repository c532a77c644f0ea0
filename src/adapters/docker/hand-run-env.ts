/**
 * What `reconciler import` may know of a hand-run keepalived's environment: its KEEPALIVED_*
 * variables, except the password, of which only presence, length and a fingerprint leave here.
 * The fingerprint is an HMAC under a key made for this process, so equal passwords compare equal
 * within one run while nothing written or shown can be turned back into the password.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { HandRunKeepalived } from '../../core/import-keepalived.js';

const FINGERPRINT_KEY = randomBytes(32);
/** Bounds on hostile input: how many variables, how long each. */
const MAX_VARIABLES = 64;
const MAX_VARIABLE_LENGTH = 4096;

export function handRunFacts(rawEnv: readonly string[]): Pick<HandRunKeepalived, 'env' | 'password'> {
  const env: Record<string, string> = {};
  let password: HandRunKeepalived['password'] = { set: false };
  let count = 0;
  for (const entry of rawEnv) {
    const cut = entry.indexOf('=');
    const name = cut < 0 ? entry : entry.slice(0, cut);
    if (!/^KEEPALIVED_[A-Z0-9_]{1,64}$/.test(name)) continue;
    const value = cut < 0 ? '' : entry.slice(cut + 1);
    if (name === 'KEEPALIVED_PASSWORD') {
      const fingerprint = createHmac('sha256', FINGERPRINT_KEY).update(value).digest('hex').slice(0, 16);
      password = { set: true, length: [...value].length, fingerprint };
    } else if (count < MAX_VARIABLES) {
      // Too long a value is kept too long (and so rejected by the import), never silently cut.
      env[name] = value.length > MAX_VARIABLE_LENGTH ? value.slice(0, MAX_VARIABLE_LENGTH + 1) : value;
      count += 1;
    }
  }
  return { env, password };
}
