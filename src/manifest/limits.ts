/**
 * Bounds on what one manifest load reads and builds. Manifests come from directories and git
 * repositories that many people can write to: whatever they hold, one load answers in bounded
 * time and memory, and each limit that trips is a problem at `file:line` naming the limit (the
 * other files are still read). Measured by `npm run bench:hostile` (BENCHMARKS.md).
 */
export interface ManifestLimits {
  /** Bytes of one manifest file. */
  maxFileBytes: number;
  /**
   * Bytes of all manifest files of one load together. 1 MiB: YAML parsing with positions runs
   * at well under 1 MB/s on a 2-core machine, and `validate` must answer within 5 s (8 MiB of
   * small documents took over 60 s; BENCHMARKS.md, bench:hostile).
   */
  maxTotalBytes: number;
  /** Manifest files of one load. */
  maxFiles: number;
  /** Entries of one directory (of any kind). */
  maxDirectoryEntries: number;
  /** Directory levels below the manifest directory. */
  maxDirectoryDepth: number;
  /** YAML documents of one file. */
  maxDocumentsPerFile: number;
  /** YAML tokens of one file (bounds the parser's time and memory before it builds anything). */
  maxTokensPerFile: number;
  /** Nesting depth of mappings and sequences. */
  maxNestingDepth: number;
  /** Keys of one mapping. */
  maxKeysPerMapping: number;
  /** Items of one sequence. */
  maxItemsPerSequence: number;
  /** Alias expansions of one document (YAML "billion laughs"). */
  maxAliasCount: number;
  /** Time one load may spend listing and reading files. */
  loadTimeoutMs: number;
}

export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = {
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 1024 * 1024,
  maxFiles: 1000,
  maxDirectoryEntries: 1000,
  maxDirectoryDepth: 8,
  maxDocumentsPerFile: 1000,
  maxTokensPerFile: 200_000,
  maxNestingDepth: 32,
  maxKeysPerMapping: 1000,
  maxItemsPerSequence: 1000,
  maxAliasCount: 100,
  loadTimeoutMs: 3000,
};

/** `1 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
