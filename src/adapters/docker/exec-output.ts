import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/**
 * Runs argv in a running container and returns its stdout (stderr is dropped), bounded by
 * `timeoutMs` so a wedged container cannot stall a pass.
 */
export async function execOutput(
  docker: Docker,
  containerId: string,
  argv: readonly string[],
  timeoutMs: number,
): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [...argv],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(stream, stdout, new PassThrough().resume());
  await finished(stream, timeoutMs, argv);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs argv in a running container; its exit code and its stdout and stderr together, bounded. */
export async function execResult(
  docker: Docker,
  containerId: string,
  argv: readonly string[],
  timeoutMs: number,
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [...argv],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(stream, sink, sink);
  await finished(stream, timeoutMs, argv);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

function finished(
  stream: NodeJS.ReadWriteStream & { destroy(): void },
  timeoutMs: number,
  argv: readonly string[],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec ${argv.join(' ')} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', finish);
  });
}

/** Addresses (without prefix) found in `ip -o addr show` output. */
export function addressesInIpOutput(output: string): string[] {
  const found: string[] = [];
  for (const match of output.matchAll(/\binet6?\s+([0-9a-fA-F.:]+)\//g)) {
    if (match[1]) found.push(match[1]);
  }
  return found;
}
