/**
 * The grammars of the strings a manifest carries into rendered files (keepalived.conf, shell
 * scripts) or Docker requests. The JSON Schemas in schemas/ hold the same patterns (a test keeps
 * them equal), so validation refuses what the renderers would refuse; the renderers check again,
 * so a value that slipped past validation is refused rather than rendered.
 */

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

/**
 * A host name (RFC 1123 labels, an optional trailing dot), a dotted IPv4 address or an IPv6
 * address (hex digits, colons and dots; the address check proper is ipaddr's). Never starts with
 * `-`, so it cannot reach a program as an option.
 */
export const HOST_PATTERN = `^(?:${LABEL}(?:\\.${LABEL})*\\.?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$`;
export const HOST_MAX_LENGTH = 253;

/**
 * An http:// URL of RFC 3986 characters only: no white space, quotes other than `'`, backslash,
 * control or non-ASCII characters. The host part follows {@link HOST_PATTERN} (IPv6 in brackets).
 */
export const HTTP_URL_PATTERN =
  "^http://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?$";
export const HTTP_URL_MAX_LENGTH = 2048;

/** A Linux interface name as `ip` prints it: at most 15 characters, none of them special here. */
export const INTERFACE_PATTERN = '^[A-Za-z0-9_.:@-]{1,15}$';

/** A swarm node's hostname or node ID. */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$';

/** A label key (Docker / Kubernetes style: letters, digits, `.`, `-`, `_`, `/`). */
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_./]{0,251}[A-Za-z0-9])?$';
export const LABEL_VALUE_MAX_LENGTH = 1024;

/**
 * A Docker image reference (`[registry[:port]/]path[:tag][@digest]`), as the distribution
 * reference grammar has it.
 */
export const IMAGE_PATTERN =
  '^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]+)?/)?' +
  '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*' +
  '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$';
export const IMAGE_MAX_LENGTH = 255;

/** An absolute path without control characters (the password source). */
export const ABSOLUTE_PATH_PATTERN = '^/[^\\u0000-\\u001f\\u007f]*$';

const compiled = new Map<string, RegExp>();

/** Whether `text` matches one of the patterns above. */
export function matches(pattern: string, text: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    compiled.set(pattern, regex);
  }
  return regex.test(text);
}

export function isHost(text: string): boolean {
  return text.length <= HOST_MAX_LENGTH && matches(HOST_PATTERN, text);
}

export function isHttpUrl(text: string): boolean {
  return text.length <= HTTP_URL_MAX_LENGTH && matches(HTTP_URL_PATTERN, text);
}

export function isInterfaceName(text: string): boolean {
  return matches(INTERFACE_PATTERN, text);
}
