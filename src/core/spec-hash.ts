import { createHash } from 'node:crypto';
import { compareStrings } from './compare-strings.js';
import type { ContainerFile } from './types.js';

/**
 * Version of everything the Docker adapter adds around a DesiredContainer (capabilities, host
 * network, restart policy, ...). Bump it when those change, so every container is replaced.
 */
export const CONTAINER_SETTINGS_VERSION = 1;

/** Length of the hex spec hash: 64 bits, plenty to tell versions of one container apart. */
export const SPEC_HASH_LENGTH = 16;

/** What makes a container run differently; nothing else goes into the hash. */
export interface SpecHashInput {
  image: string;
  command: readonly string[];
  files: readonly ContainerFile[];
}

/**
 * A short hex digest (sha256, {@link SPEC_HASH_LENGTH} chars) of a canonical serialization of
 * image, command, files (path, mode, content; in path order) and
 * {@link CONTAINER_SETTINGS_VERSION}. Equal exactly when the containers would run the same.
 *
 * Note: the config content includes the VRRP password, so the hash depends on it (a changed
 * password must replace the containers). A truncated sha256 of the whole file does not reveal
 * it, and anyone who can read container labels can read the file itself anyway.
 */
export function specHash(input: SpecHashInput): string {
  const canonical = canonicalJson({
    settingsVersion: CONTAINER_SETTINGS_VERSION,
    image: input.image,
    command: [...input.command],
    files: [...input.files]
      .map((f) => ({ path: f.path, mode: f.mode, content: f.content }))
      .sort((a, b) => compareStrings(a.path, b.path)),
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, SPEC_HASH_LENGTH);
}

/** JSON with object keys sorted at every level, so key order never changes the text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => compareStrings(a, b)),
    );
  });
}
