/**
 * Reads a manifest directory into a snapshot. The only I/O of manifest loading, injected so tests
 * can pass their own.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { compareStrings } from '../core/compare-strings.js';
import type { ManifestProblem } from '../core/types.js';
import type { ManifestFile, ManifestSnapshot, ValidatedManifests } from '../ports.js';
import { contentRevision } from './content-revision.js';
import { parseSnapshot } from './parse-manifests.js';
import { validateAgainstNodes } from './validate-against-nodes.js';

export interface DirEntry {
  name: string;
  /** What the entry is, symlinks followed; 'other' for anything else, dangling links included. */
  type: 'file' | 'directory' | 'other';
}

export interface ManifestDirDeps {
  readDir(dir: string): Promise<DirEntry[]>;
  readFile(file: string): Promise<string>;
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

/** The real file system. Symlinks are followed: a Kubernetes-style `..data` mount is all links. */
export const nodeFileSystem: ManifestDirDeps = {
  async readDir(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    return Promise.all(
      entries.map(async (entry): Promise<DirEntry> => {
        const target = entry.isSymbolicLink()
          ? await stat(path.join(dir, entry.name)).catch(() => undefined)
          : entry;
        const type = target?.isFile() ? 'file' : target?.isDirectory() ? 'directory' : 'other';
        return { name: entry.name, type };
      }),
    );
  },
  readFile: (file) => readFile(file, 'utf8'),
};

export interface LoadOptions {
  /**
   * How problems and origins name a file, given its path relative to `dir`.
   * Default: `path.join(dir, relative)`.
   */
  fileLabel?: (relative: string) => string;
  /** The revision of what is read; default: its content hash (a commit id, for a git checkout). */
  revision?: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/**
 * Every `*.yaml`, `*.yml` and `*.json` under `dir`, recursively, in name order, read into one
 * snapshot. Hidden entries (editor swap files, `.git`, `..data`) and node_modules are skipped.
 * Files are named `path.join(dir, relative)` unless `fileLabel` says otherwise. A file or
 * subdirectory that cannot be read is a problem of the snapshot (it may hold VIPs). Throws
 * {@link ManifestDirError} when `dir` itself cannot be read.
 */
export async function readManifestDir(
  dir: string,
  deps: ManifestDirDeps = nodeFileSystem,
  options: LoadOptions = {},
): Promise<ManifestSnapshot> {
  const label = options.fileLabel ?? ((relative: string) => path.join(dir, relative));
  const listing = await listManifestFiles(dir, deps, label);
  const files: ManifestFile[] = [];
  const unreadable = [...listing.problems];
  for (const relative of listing.files) {
    try {
      files.push({ path: label(relative), text: await deps.readFile(path.join(dir, relative)) });
    } catch (error) {
      unreadable.push(readProblem(label(relative), error));
    }
  }
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

interface Listing {
  /** Relative to the directory, with `/` separators. */
  files: string[];
  problems: ManifestProblem[];
}

interface Walk {
  dir: string;
  deps: ManifestDirDeps;
  label: (relative: string) => string;
  out: Listing;
}

async function listManifestFiles(
  dir: string,
  deps: ManifestDirDeps,
  label: (relative: string) => string,
): Promise<Listing> {
  let entries: DirEntry[];
  try {
    entries = await deps.readDir(dir);
  } catch (error) {
    throw dirError(dir, error);
  }
  const listing: Listing = { files: [], problems: [] };
  await walk({ dir, deps, label, out: listing }, '', entries);
  return listing;
}

async function walk(context: Walk, relative: string, entries: DirEntry[]): Promise<void> {
  const { dir, deps, label, out } = context;
  const visible = entries.filter((entry) => !entry.name.startsWith('.') && entry.name !== 'node_modules');
  for (const entry of visible.sort((a, b) => compareStrings(a.name, b.name))) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.type === 'file' && MANIFEST_FILE.test(entry.name)) out.files.push(child);
    if (entry.type !== 'directory') continue;
    try {
      await walk(context, child, await deps.readDir(path.join(dir, child)));
    } catch (error) {
      out.problems.push(readProblem(label(child), error));
    }
  }
}

function readProblem(file: string, error: unknown): ManifestProblem {
  const reason = error instanceof Error ? error.message : String(error);
  return { code: 'read-error', file, line: 1, col: 1, path: '', message: `cannot read: ${reason}` };
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
