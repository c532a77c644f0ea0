import { watch } from 'chokidar';
import { Observable, debounceTime, map } from 'rxjs';
import type { ManifestSnapshot, ManifestSource } from '../ports.js';
import { readManifestDir } from '../manifest/load-manifest-dir.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

/**
 * The manifest directory: read as a whole into a snapshot whose revision is its content hash,
 * watched with chokidar. Editors write files in bursts (truncate, write, rename), so changes are
 * debounced.
 */
export class ManifestDirSource implements ManifestSource {
  constructor(
    private readonly dir: string,
    private readonly debounceMs: number,
  ) {}

  /** Problems name each file by its full path: a daemon's log is read far from its directory. */
  snapshot(): Promise<ManifestSnapshot> {
    return readManifestDir(this.dir);
  }

  changes(): Observable<void> {
    return new Observable<string>((subscriber) => {
      const watcher = watch(this.dir, {
        ignoreInitial: true,
        ignored: (file, stats) => Boolean(stats?.isFile() && !MANIFEST_FILE.test(file)),
      });
      watcher.on('all', (_event, file) => subscriber.next(file));
      watcher.on('error', (error) => subscriber.error(error));
      return () => void watcher.close();
    }).pipe(
      debounceTime(this.debounceMs),
      map(() => undefined),
    );
  }
}
