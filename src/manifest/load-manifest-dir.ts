/**
 * Reads a manifest directory and hands its files to {@link parseManifests}. The only I/O of
 * manifest loading, injected so tests can pass their own. Everything read is bounded (see
 * limits.ts): a broken, huge or hostile entry is a problem of its own and never stops the files
 * beside it from being read.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoundedFileError, readBoundedFileAsync } from '../adapters/bounded-file.js';
import { compareStrings } from '../core/compare-strings.js';
import type { ManifestProblem } from '../core/types.js';
import type { ManifestFile, ManifestSnapshot, ValidatedManifests } from '../ports.js';
import { contentRevision } from './content-revision.js';
import { DEFAULT_MANIFEST_LIMITS, formatBytes, type ManifestLimits } from './limits.js';
import { parseSnapshot } from './parse-manifests.js';
import { validateAgainstNodes } from './validate-against-nodes.js';

export interface DirEntry {
  name: string;
  /** What the entry is, symlinks followed; 'other' for anything else, dangling links included. */
  type: 'file' | 'directory' | 'other';
  /** Where the entry really is, links resolved (for the containment and loop checks). */
  realPath?: string;
}

export interface DirListing {
  /** At most `maxEntries` entries. */
  entries: DirEntry[];
  /** True when the directory holds more than `maxEntries` entries. */
  truncated: boolean;
}

export interface ManifestDirDeps {
  readDir(dir: string, maxEntries: number): Promise<DirListing>;
  /**
   * A regular file whole, never blocking on a FIFO or a device; `expectedRealPath` is where the
   * file must really be. A file that is no regular file, holds more than `maxBytes` or is not where
   * expected is refused with a {@link BoundedFileError} (`readBoundedFileAsync`).
   */
  readFile(file: string, maxBytes: number, expectedRealPath?: string): Promise<Uint8Array>;
  /** The real path of the manifest directory itself. */
  realPath(dir: string): Promise<string>;
  /** Milliseconds on a monotonic clock, for the load's time limit. */
  now(): number;
}

export type ManifestDirErrorCode =
  'manifest-dir-not-found' | 'manifest-dir-not-a-directory' | 'manifest-dir-unreadable';

/** The manifest directory itself cannot be read: nothing can be said about any VIP. */
export class ManifestDirError extends Error {
  override readonly name = 'ManifestDirError';
  constructor(
    readonly code: ManifestDirErrorCode,
    readonly dir: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** The real file system. Symlinks are followed (a Kubernetes-style `..data` mount is all links). */
export const nodeFileSystem: ManifestDirDeps = {
  async readDir(dir, maxEntries) {
    const real = await realpath(dir);
    const handle = await opendir(dir);
    const raw = [];
    let truncated = false;
    try {
      for await (const entry of handle) {
        if (raw.length === maxEntries) {
          truncated = true;
          break;
        }
        raw.push(entry);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
    const entries = await Promise.all(
      raw.map(async (entry): Promise<DirEntry> => {
        const full = path.join(dir, entry.name);
        if (!entry.isSymbolicLink()) {
          const type = entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
          return { name: entry.name, type, realPath: path.join(real, entry.name) };
        }
        const target = await realpath(full).catch(() => undefined);
        const stats = target === undefined ? undefined : await stat(target).catch(() => undefined);
        const type = stats?.isFile() ? 'file' : stats?.isDirectory() ? 'directory' : 'other';
        return { name: entry.name, type, ...(target === undefined ? {} : { realPath: target }) };
      }),
    );
    return { entries, truncated };
  },
  readFile: (file, maxBytes, expectedRealPath) =>
    readBoundedFileAsync(file, maxBytes, expectedRealPath === undefined ? {} : { expectedRealPath }),
  realPath: (dir) => realpath(dir),
  now: () => performance.now(),
};

export interface LoadOptions {
  /**
   * How problems and origins name a file, given its path relative to `dir`.
   * Default: `path.join(dir, relative)`.
   */
  fileLabel?: (relative: string) => string;
  /** The revision of what is read; default: its content hash (a commit id, for a git checkout). */
  revision?: string;
  /** Bounds on what is read; default {@link DEFAULT_MANIFEST_LIMITS}. */
  limits?: ManifestLimits;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/**
 * Every `*.yaml`, `*.yml` and `*.json` under `dir`, recursively, in name order, read into one
 * snapshot. Hidden entries (editor swap files, `.git`, `..data`) and node_modules are skipped.
 * Links are followed only while they stay inside `dir` (git-sync's and Kubernetes' `..data`
 * layouts do); a directory reached twice (a link loop) is read once. Files are named
 * `path.join(dir, relative)` unless `fileLabel` says otherwise. A file or subdirectory that cannot
 * be read, or breaks a limit, is a problem of the snapshot (it may hold VIPs); the others are
 * still read. Throws {@link ManifestDirError} when `dir` itself cannot be read.
 */
export async function readManifestDir(
  dir: string,
  deps: ManifestDirDeps = nodeFileSystem,
  options: LoadOptions = {},
): Promise<ManifestSnapshot> {
  const limits = options.limits ?? DEFAULT_MANIFEST_LIMITS;
  const label = options.fileLabel ?? ((relative: string) => path.join(dir, relative));
  const context = await startWalk(dir, deps, label, limits);
  await walk(context, '', context.rootListing, 0);
  const files = await readFiles(context);
  const unreadable = context.problems;
  return { revision: options.revision ?? contentRevision(files, unreadable), files, unreadable };
}

/**
 * A directory read, parsed and validated as a whole, against the nodes its NodeEndpoint manifests
 * declare: what `reconciler validate` reports.
 */
export async function loadManifestDir(
  dir: string,
  deps: ManifestDirDeps = nodeFileSystem,
  options: LoadOptions = {},
): Promise<ValidatedManifests> {
  return validateAgainstNodes(parseSnapshot(await readManifestDir(dir, deps, options)), undefined);
}

interface FoundFile {
  /** Relative to the directory, with `/` separators. */
  relative: string;
  realPath: string | undefined;
}

interface Walk {
  dir: string;
  rootReal: string;
  deps: ManifestDirDeps;
  label: (relative: string) => string;
  limits: ManifestLimits;
  startMs: number;
  rootListing: DirListing;
  /** Real paths of the directories read so far. */
  visited: Set<string>;
  files: FoundFile[];
  problems: ManifestProblem[];
  /** Set once the walk is out of time or files: no more entries are listed. */
  stopped: boolean;
  /** Set once the load is out of time: no more files are read. */
  timedOut: boolean;
}

async function startWalk(
  dir: string,
  deps: ManifestDirDeps,
  label: (relative: string) => string,
  limits: ManifestLimits,
): Promise<Walk> {
  let rootReal: string;
  let rootListing: DirListing;
  try {
    rootReal = await deps.realPath(dir);
    rootListing = await deps.readDir(dir, limits.maxDirectoryEntries);
  } catch (error) {
    throw dirError(dir, error);
  }
  return {
    dir,
    rootReal,
    deps,
    label,
    limits,
    startMs: deps.now(),
    rootListing,
    visited: new Set([rootReal]),
    files: [],
    problems: [],
    stopped: false,
    timedOut: false,
  };
}

function problem(context: Walk, relative: string, code: string, message: string): void {
  context.problems.push({ code, file: context.label(relative || '.'), line: 1, col: 1, path: '', message });
}

function outOfTime(context: Walk, relative: string): boolean {
  if (context.timedOut) return true;
  if (context.deps.now() - context.startMs <= context.limits.loadTimeoutMs) return false;
  context.timedOut = true;
  context.stopped = true;
  problem(
    context,
    relative,
    'limit-exceeded',
    `not read: the load took longer than ${context.limits.loadTimeoutMs / 1000} s (limit loadTimeoutMs); ` +
      'this and the entries after it are left out',
  );
  return true;
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

async function walk(context: Walk, relative: string, listing: DirListing, depth: number): Promise<void> {
  const { limits } = context;
  if (listing.truncated) {
    problem(
      context,
      relative,
      'limit-exceeded',
      `the directory holds more than ${limits.maxDirectoryEntries} entries (limit maxDirectoryEntries); none of it was read`,
    );
    return;
  }
  const visible = listing.entries.filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules');
  for (const entry of visible.sort((a, b) => compareStrings(a.name, b.name))) {
    if (context.stopped) return;
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const refusal = refusalOf(context, entry);
    if (refusal) problem(context, child, refusal[0], refusal[1]);
    else if (entry.type === 'file' && MANIFEST_FILE.test(entry.name)) addFile(context, child, entry.realPath);
    else if (entry.type === 'directory') await enterDirectory(context, child, entry, depth + 1);
  }
}

/** Why an entry that would be read is not: a link leaving the root, or no regular file. */
function refusalOf(context: Walk, entry: DirEntry): [code: string, message: string] | undefined {
  const named = MANIFEST_FILE.test(entry.name);
  const wanted = entry.type === 'directory' || named;
  // A dangling link (no real path) is no entry at all, as an editor's lock file often is.
  if (!wanted || entry.realPath === undefined) return undefined;
  if (!inside(context.rootReal, entry.realPath)) {
    return [
      'link-outside',
      'not read: a link to a path outside the manifest directory; links may only point inside it',
    ];
  }
  // A FIFO, device or socket named like a manifest is refused, never opened.
  if (entry.type === 'other') return ['read-error', `cannot read: ${NOT_REGULAR}`];
  return undefined;
}

function addFile(context: Walk, relative: string, realPath: string | undefined): void {
  if (context.files.length >= context.limits.maxFiles) {
    context.stopped = true;
    problem(
      context,
      relative,
      'limit-exceeded',
      `not read: more than ${context.limits.maxFiles} manifest files (limit maxFiles); this and the files after it are left out`,
    );
    return;
  }
  context.files.push({ relative, realPath });
}

async function enterDirectory(
  context: Walk,
  relative: string,
  entry: DirEntry,
  depth: number,
): Promise<void> {
  if (depth > context.limits.maxDirectoryDepth) {
    problem(
      context,
      relative,
      'limit-exceeded',
      `not read: directories nest more than ${context.limits.maxDirectoryDepth} levels deep (limit maxDirectoryDepth)`,
    );
    return;
  }
  const real = entry.realPath ?? path.join(context.rootReal, relative);
  if (context.visited.has(real)) {
    problem(
      context,
      relative,
      'link-loop',
      'not read: a link to a directory that is read already (a loop or a second path)',
    );
    return;
  }
  context.visited.add(real);
  if (outOfTime(context, relative)) return;
  try {
    await walk(
      context,
      relative,
      await context.deps.readDir(path.join(context.dir, relative), context.limits.maxDirectoryEntries),
      depth,
    );
  } catch (error) {
    problem(context, relative, 'read-error', `cannot read: ${describeReadError(error)}`);
  }
}

async function readFiles(context: Walk): Promise<ManifestFile[]> {
  const { limits } = context;
  const files: ManifestFile[] = [];
  let totalBytes = 0;
  for (const [index, file] of context.files.entries()) {
    if (outOfTime(context, file.relative)) {
      context.files.splice(index);
      break;
    }
    const bytes = await readOneFile(context, file);
    if (bytes === undefined) continue;
    totalBytes += bytes.length;
    if (totalBytes > limits.maxTotalBytes) {
      problem(
        context,
        file.relative,
        'limit-exceeded',
        `not read: the manifest files together exceed ${formatBytes(limits.maxTotalBytes)} (limit maxTotalBytes)`,
      );
      continue;
    }
    const name = context.label(file.relative);
    const decoded = decodeUtf8(bytes);
    if (typeof decoded === 'string') files.push({ path: name, text: decoded });
    else
      context.problems.push({
        code: 'invalid-utf8',
        file: name,
        ...decoded,
        path: '',
        message: decoded.message,
      });
  }
  return files;
}

/** The file's bytes within maxFileBytes, or undefined once a problem says why not. */
async function readOneFile(context: Walk, file: FoundFile): Promise<Uint8Array | undefined> {
  const { maxFileBytes } = context.limits;
  const tooLarge = () =>
    problem(
      context,
      file.relative,
      'limit-exceeded',
      `not read: larger than ${formatBytes(maxFileBytes)} (limit maxFileBytes)`,
    );
  try {
    const bytes = await context.deps.readFile(
      path.join(context.dir, file.relative),
      maxFileBytes,
      file.realPath,
    );
    // An injected reader is held to the bound as well.
    if (bytes.length <= maxFileBytes) return bytes;
    tooLarge();
  } catch (error) {
    if (error instanceof BoundedFileError && error.code === 'too-large') tooLarge();
    else problem(context, file.relative, 'read-error', `cannot read: ${describeReadError(error)}`);
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text, or where its first invalid UTF-8 byte sits. */
function decodeUtf8(bytes: Uint8Array): string | { line: number; col: number; message: string } {
  try {
    return UTF8.decode(bytes);
  } catch {
    const offset = firstInvalidByte(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    const lines = before.split('\n');
    const hex = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    return {
      line: lines.length,
      col: (lines.at(-1) ?? '').length + 1,
      message: `not valid UTF-8: byte 0x${hex} cannot start or continue a character here; save the file as UTF-8`,
    };
  }
}

/** Offset of the first byte that makes `bytes` invalid UTF-8 (a linear scan). */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

/** Lead byte range → sequence length and the range of its second byte (RFC 3629, table 3-7). */
const UTF8_LEADS: readonly [lo: number, hi: number, length: number, min: number, max: number][] = [
  [0x00, 0x7f, 1, 0, 0],
  [0xc2, 0xdf, 2, 0x80, 0xbf],
  [0xe0, 0xe0, 3, 0xa0, 0xbf],
  [0xe1, 0xec, 3, 0x80, 0xbf],
  [0xed, 0xed, 3, 0x80, 0x9f],
  [0xee, 0xef, 3, 0x80, 0xbf],
  [0xf0, 0xf0, 4, 0x90, 0xbf],
  [0xf1, 0xf3, 4, 0x80, 0xbf],
  [0xf4, 0xf4, 4, 0x80, 0x8f],
];

/** Length of the valid UTF-8 sequence at `i`, or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] ?? 0;
  const lead = UTF8_LEADS.find(([lo, hi]) => b >= lo && b <= hi);
  if (!lead) return 0;
  const [, , length, min, max] = lead;
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k] ?? -1;
    const [low, high] = k === 1 ? [min, max] : [0x80, 0xbf];
    if (next < low || next > high) return 0;
  }
  return length;
}

const NOT_REGULAR = 'not a regular file (a FIFO, device or socket is never read)';

/** The reason, never the content: an error from reading a file must not echo what it read. */
function describeReadError(error: unknown): string {
  if (error instanceof BoundedFileError) {
    switch (error.code) {
      case 'not-regular':
        return NOT_REGULAR;
      case 'moved':
        return 'the file changed while being read';
      case 'too-large':
        return 'it grew too large while being read';
    }
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOENT: 'it is gone',
    ELOOP: 'too many levels of links',
    EISDIR: 'it is a directory',
  };
  if (code !== undefined && reasons[code]) return `${reasons[code]} (${code})`;
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

function dirError(dir: string, error: unknown): ManifestDirError {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT') {
    return new ManifestDirError('manifest-dir-not-found', dir, `manifest directory ${dir} does not exist`, {
      cause: error,
    });
  }
  if (errno === 'ENOTDIR') {
    return new ManifestDirError('manifest-dir-not-a-directory', dir, `${dir} is not a directory`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ManifestDirError(
    'manifest-dir-unreadable',
    dir,
    `cannot read manifest directory ${dir}: ${reason}`,
    {
      cause: error,
    },
  );
}
