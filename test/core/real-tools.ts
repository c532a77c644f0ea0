/**
 * Helpers for the tests that run real tools (Debian's keepalived, static busybox) on this machine.
 * A missing tool fails the test with what to install: these tests never skip, so a green run
 * always means the rendering was checked by the real programs.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONFIG_DIR, REPORT_SINK_PATH, STALE_PID_FILES, STATE_DIR } from '../../src/core/container-layout.js';
import type { ContainerFile } from '../../src/core/types.js';

export const KEEPALIVED = '/usr/sbin/keepalived';
export const BUSYBOX = '/bin/busybox';

/** Throws, saying what to install or how to run, when a real-tool test cannot run here. */
export function requireTools(needs: { keepalived?: boolean; busybox?: boolean; root?: boolean }): void {
  const reason =
    needs.keepalived && !existsSync(KEEPALIVED)
      ? `${KEEPALIVED} is not installed`
      : needs.busybox && !existsSync(BUSYBOX)
        ? `${BUSYBOX} is not installed`
        : needs.root && process.getuid?.() !== 0
          ? 'keepalived trusts scripts only when root owns them: run as root'
          : undefined;
  if (reason) {
    throw new Error(`${reason} (apt-get install -y keepalived busybox-static, and run the tests as root)`);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell, never throwing on a non-zero exit. */
export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `swarm-vip-${prefix}-`));
}

/** A directory of busybox applet links, to be the only PATH of a script under test. */
export async function busyboxBin(dir: string, applets: readonly string[]): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const applet of applets) await symlink(BUSYBOX, join(bin, applet));
  return bin;
}

/**
 * Moves every container path (config dir, state dir, pid files) below `root`, in file contents
 * and paths alike, so a container's files can run on this machine.
 */
export function relocate(text: string, root: string): string {
  let out = text.replaceAll(CONFIG_DIR, join(root, CONFIG_DIR)).replaceAll(STATE_DIR, join(root, STATE_DIR));
  for (const pid of STALE_PID_FILES) out = out.replaceAll(pid, join(root, pid));
  // The container's output (process 1's stdout) becomes a plain file.
  return out.replaceAll(REPORT_SINK_PATH, join(root, 'report-sink'));
}

/** Writes container files below `root` (relocated), with their modes. */
export async function writeContainerFiles(root: string, files: readonly ContainerFile[]): Promise<void> {
  for (const file of files) {
    const path = join(root, file.path);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFile(path, relocate(file.content, root));
    await chmod(path, file.mode);
  }
}
