import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { Observable } from 'rxjs';
import { parseContainerReport, type ContainerReport } from '../../core/container-reports.js';

/** Bound on a partial line kept while waiting for its end: report lines are far shorter. */
const MAX_PENDING_CHARS = 128 * 1024;

/**
 * The report lines (see core/container-reports.ts) a container prints, followed through the
 * Docker API (`logs?follow=1`), from `sinceSeconds` on: replayed lines first, then live ones as
 * Docker receives them. Completes when the container stops (Docker ends the stream), errors when
 * the connection breaks. No `docker exec`: reading costs the node nothing between reports.
 *
 * @param docker a client without a request timeout (the stream is quiet for hours)
 */
export function containerReports(
  docker: Docker,
  containerId: string,
  sinceSeconds: number,
): Observable<ContainerReport> {
  return new Observable<ContainerReport>((subscriber) => {
    let raw: NodeJS.ReadableStream | undefined;
    let closed = false;
    const lines = new PassThrough();
    let pending = '';
    lines.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = (parts.pop() ?? '').slice(-MAX_PENDING_CHARS);
      for (const line of parts) {
        const report = parseContainerReport(line);
        if (report) subscriber.next(report);
      }
    });
    docker
      .getContainer(containerId)
      .logs({ follow: true, stdout: true, stderr: true, since: sinceSeconds })
      .then((stream) => {
        if (closed) return destroy(stream);
        raw = stream;
        // Containers without a TTY multiplex stdout and stderr with 8-byte frame headers.
        docker.modem.demuxStream(stream, lines, lines);
        stream.on('error', (error: Error) => subscriber.error(error));
        stream.on('end', () => subscriber.complete());
        stream.on('close', () => subscriber.complete());
      })
      .catch((error: unknown) => subscriber.error(error));
    return () => {
      closed = true;
      if (raw) destroy(raw);
    };
  });
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as unknown as { destroy?: () => void }).destroy?.();
}
