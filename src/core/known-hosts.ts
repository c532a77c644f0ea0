/**
 * OpenSSH `known_hosts` (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), for verifying the host key of an
 * `ssh://` Docker endpoint the way `ssh -o StrictHostKeyChecking=yes` would: a host must be listed,
 * and with the key it presents. Pure: the caller reads the file (bounded) and hands over its text.
 */
import { createHmac } from 'node:crypto';

/** One usable line: who it names and the key (the SSH wire-format blob, base64-decoded). */
export interface KnownHostEntry {
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  patterns: readonly string[];
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'match'; line: number }
  /** The host is listed, but not with this key: possibly an attack, never accepted. */
  | { kind: 'mismatch'; lines: readonly number[]; knownTypes: readonly string[] }
  | { kind: 'revoked'; line: number }
  | { kind: 'unknown' };

/** Lines beyond this many are not read: a known_hosts file is a few hundred lines. */
export const KNOWN_HOSTS_MAX_LINES = 100_000;

/** Parses the usable lines; blank, comment and malformed lines are skipped (as ssh does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n', KNOWN_HOSTS_MAX_LINES);
  lines.forEach((raw, index) => {
    const entry = parseLine(raw.trim(), index + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

const MARKERS = new Map<string, KnownHostEntry['marker']>([
  ['@revoked', 'revoked'],
  ['@cert-authority', 'cert-authority'],
]);

function parseLine(text: string, line: number): KnownHostEntry | undefined {
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/[ \t]+/);
  const first = fields[0] ?? '';
  const marker = MARKERS.get(first);
  // An unknown marker: the line means something this reader does not know, so it vouches for nothing.
  if (first.startsWith('@') && !marker) return undefined;
  const [hosts, keyType, base64] = marker ? fields.slice(1) : fields;
  if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const key = Buffer.from(base64, 'base64');
  // The blob starts with its own type name; a line whose two disagree is damaged.
  if (wireKeyType(key) !== keyType) return undefined;
  return { line, marker, patterns: hosts.split(','), keyType, key };
}

/** The key type name at the start of an SSH public key blob (uint32 length + name). */
export function wireKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** How ssh writes a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does the host (as `knownHostName` writes it) match this entry's patterns (negations win)? */
export function entryNamesHost(entry: KnownHostEntry, hostName: string): boolean {
  let matched = false;
  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!patternMatches(body, hostName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, hostName: string): boolean {
  if (pattern.startsWith('|1|')) return hashedMatches(pattern, hostName);
  const glob = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${glob}$`).test(hostName.toLowerCase());
}

/** `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt (ssh-keygen -H). */
function hashedMatches(pattern: string, hostName: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest('base64');
  return digest === hash;
}

/**
 * The verdict on the key a server presented: revoked beats everything; a listed host with another
 * key is a mismatch; `@cert-authority` lines are not supported (host certificates are not checked),
 * so they never vouch for a key.
 */
export function verifyHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  presented: Buffer,
): HostKeyVerdict {
  const hostName = knownHostName(host, port);
  const named = entries.filter((e) => e.marker !== 'cert-authority' && entryNamesHost(e, hostName));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(presented));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const match = named.find((e) => e.marker === undefined && e.key.equals(presented));
  if (match) return { kind: 'match', line: match.line };
  const listed = named.filter((e) => e.marker === undefined);
  if (listed.length === 0) return { kind: 'unknown' };
  return {
    kind: 'mismatch',
    lines: listed.map((e) => e.line),
    knownTypes: [...new Set(listed.map((e) => e.keyType))],
  };
}
