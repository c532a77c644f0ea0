import { pack } from 'tar-stream';
import path from 'node:path/posix';
import type { ContainerFile } from '../../core/types.js';

/**
 * A tar archive (for Docker's putArchive at `/`) holding the given files and their parent
 * directories, owned by root: keepalived's script security refuses scripts that a non-root user
 * could change.
 */
export async function containerArchive(files: readonly ContainerFile[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const owner = { uid: 0, gid: 0, mtime: new Date(0) };
  for (const dir of parentDirectories(files)) {
    archive.entry({ name: dir, type: 'directory', mode: 0o755, ...owner });
  }
  for (const file of files) {
    archive.entry({ name: file.path.replace(/^\//, ''), mode: file.mode, ...owner }, file.content);
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

function parentDirectories(files: readonly ContainerFile[]): string[] {
  const dirs = new Set<string>();
  for (const file of files) {
    let dir = path.dirname(file.path.replace(/^\//, ''));
    while (dir !== '.' && dir !== '/' && dir !== '') {
      dirs.add(dir);
      dir = path.dirname(dir);
    }
  }
  return [...dirs].sort((a, b) => a.length - b.length);
}
