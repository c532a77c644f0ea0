import { connect } from 'node:net';
import type Docker from 'dockerode';

/** Where a Docker client opens its connections: a unix socket, or a TCP host and port. */
export type ListenerAddress = { socketPath: string } | { host: string; port: number };

/** The listener a client connects to; undefined when it cannot be told (ssh, a socket path function). */
export function listenerOf(docker: Docker): ListenerAddress | undefined {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return { socketPath: modem.socketPath };
  const port = Number(modem.port);
  if (modem.protocol === 'ssh' || typeof modem.host !== 'string' || !Number.isInteger(port)) return undefined;
  return { host: modem.host, port };
}

/** Errors that say nobody listens at the address any more. */
const REFUSED = new Set(['ENOENT', 'ECONNREFUSED']);

/**
 * Whether the engine still accepts new connections: true when a plain connection opens (closed
 * again at once, nothing sent), false when it is refused, undefined when it cannot be told
 * (another error, or no answer within `timeoutMs`).
 *
 * Why it matters: a dockerd told to stop closes its listeners first and then stops its
 * containers, while connections kept alive from before are still served until it exits. A
 * reconciler that saw those containers stop and starts them again over such a connection
 * starts keepalived instances that the exiting engine never stops: they are killed later without
 * releasing their address, and two nodes carry it.
 */
export function acceptsConnections(
  address: ListenerAddress,
  timeoutMs: number,
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const socket =
      'socketPath' in address ? connect(address.socketPath) : connect(address.port, address.host);
    const done = (result: boolean | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(REFUSED.has(error.code ?? '') ? false : undefined),
    );
  });
}
