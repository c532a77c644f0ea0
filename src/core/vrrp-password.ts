import { isKeepalivedQuotable } from './keepalived-quote.js';

/** VRRPv2 PASS carries at most 8 octets. */
export const MAX_PASSWORD_LENGTH = 8;

// auth_pass is written as a keepalived quoted string, which holds printable ASCII other than
// ", \ and $ (see keepalived-quote.ts); a space is refused too, since files and variables easily
// gain one by accident.
const PASSWORD_CHARS = /^[\x21-\x7e]+$/;

/**
 * What is wrong with a VRRP password read from its source, or undefined when keepalived can take
 * it as it is. Never quotes the password, nor says how long it is (messages reach logs and
 * /status).
 */
export function vrrpPasswordProblem(password: string): string | undefined {
  if (password === '') return 'the VRRP password is empty';
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `the VRRP password is longer than ${MAX_PASSWORD_LENGTH} characters, which VRRP PASS cannot carry (keepalived would cut it)`;
  }
  if (!PASSWORD_CHARS.test(password) || !isKeepalivedQuotable(password)) {
    return 'the VRRP password may only hold printable ASCII other than space, ", \\ and $';
  }
  return undefined;
}
