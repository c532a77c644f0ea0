/** VRRPv2 PASS carries at most 8 octets. */
export const MAX_PASSWORD_LENGTH = 8;

// keepalived reads auth_pass as one token: white space would split it, # and ! start comments,
// and a quote would start a quoted string.
const SAFE_PASSWORD = /^[\x21-\x7e]+$/;
const UNSAFE_PASSWORD_CHARS = /[#!"]/;

/**
 * What is wrong with a VRRP password read from its source, or undefined when keepalived can take
 * it as it is. Never quotes the password.
 */
export function vrrpPasswordProblem(password: string): string | undefined {
  if (password === '') return 'the VRRP password is empty';
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `the VRRP password has ${password.length} characters; VRRP PASS takes at most ${MAX_PASSWORD_LENGTH}`;
  }
  if (!SAFE_PASSWORD.test(password) || UNSAFE_PASSWORD_CHARS.test(password)) {
    return 'the VRRP password may only hold printable ASCII other than space, #, ! and "';
  }
  return undefined;
}
