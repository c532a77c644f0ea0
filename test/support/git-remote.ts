/** A real git "remote" for tests: a bare repository in a temp directory and a clone to commit from. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GitRemote {
  /** Temp directory holding the bare repository and the working clone; the caller removes it. */
  root: string;
  /** file:// URL of the bare repository, branch `main`. */
  url: string;
  /** Runs git in the working clone, as a committer named `test`. */
  git(...args: string[]): Promise<string>;
  /**
   * Writes the files (paths relative to the repository), commits everything and pushes to
   * `branch` (default main); returns the commit.
   */
  commit(files: Record<string, string>, message: string, branch?: string): Promise<string>;
}

export async function gitRemote(prefix: string): Promise<GitRemote> {
  const root = await mkdtemp(path.join(tmpdir(), `swarm-vip-${prefix}-`));
  const bare = path.join(root, 'remote.git');
  const work = path.join(root, 'work');
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await run('git', ['clone', '--quiet', bare, work]);
  const git = async (...args: string[]) =>
    (await run('git', ['-C', work, '-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args]))
      .stdout;
  return {
    root,
    url: `file://${bare}`,
    git,
    async commit(files, message, branch = 'main') {
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), text);
      }
      await git('add', '-A');
      await git('commit', '--quiet', '-m', message);
      await git('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      return (await git('rev-parse', 'HEAD')).trim();
    },
  };
}
