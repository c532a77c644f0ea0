/**
 * `reconciler agent`: a reverse proxy in front of one node's Docker socket that serves, over
 * mutual TLS, only what src/core/agent-policy.ts allows, and logs every refusal.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  checkCreateRequest,
  checkExecCreate,
  decideContainerAccess,
  decideRequest,
  visibleContainers,
  type AccessDecision,
  type InspectedContainer,
  type ListedContainer,
  type PolicyOptions,
  type RequestDecision,
} from '../../core/agent-policy.js';
import type { Logger } from '../../log.js';

export interface AgentProxyOptions {
  /** The node's Docker engine: the path of its unix socket. */
  upstreamSocket: string;
  tls: { ca: Buffer; cert: Buffer; key: Buffer };
  policy: PolicyOptions;
  log: Logger;
  /** Bound on a create or exec body read for inspection. */
  maxBodyBytes?: number;
  /** Bound on a container list read for filtering. */
  maxListBytes?: number;
}

/** Extended key usage OID of a TLS client certificate. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

interface Exchange {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Duplex | IncomingMessage;
  client: string;
}

/** A failure that ends one request with an HTTP status. */
class ProxyFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The agent's HTTPS server. A client must present a certificate from `tls.ca` with the clientAuth
 * usage (the agent's own server certificate, signed by the same CA, does not pass).
 */
export function createAgentProxy(options: AgentProxyOptions): Server {
  const proxy = new AgentProxy(options);
  const server = createServer({
    ca: options.tls.ca,
    cert: options.tls.cert,
    key: options.tls.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const usage = socket.getPeerX509Certificate()?.keyUsage ?? [];
    if (!usage.includes(CLIENT_AUTH)) {
      options.log.warn({ client: peerName(socket) }, 'agent: refused a certificate without clientAuth usage');
      socket.destroy();
    }
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void proxy.serve(req, res);
  });
  // `docker exec` attaches by upgrading the connection (hijack); the same policy applies.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void proxy.serveUpgrade(req, socket, head);
  });
  return server;
}

class AgentProxy {
  private readonly maxBodyBytes: number;
  private readonly maxListBytes: number;

  constructor(private readonly options: AgentProxyOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
    this.maxListBytes = options.maxListBytes ?? 16 * 1024 * 1024;
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = exchangeOf(req);
    try {
      const decision = decideRequest(
        { method: exchange.method, path: exchange.url.pathname, query: exchange.url.searchParams },
        this.options.policy,
      );
      await this.follow(decision, exchange, res);
    } catch (error) {
      const status = error instanceof ProxyFailure ? error.status : 502;
      const message = error instanceof Error ? error.message : String(error);
      if (status === 403) this.logRefusal(exchange, message);
      else
        this.options.log.warn(
          { client: exchange.client, method: exchange.method, path: exchange.url.pathname, err: message },
          'agent: request failed',
        );
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: status === 403 ? `swarm-vip agent: ${message}` : message }));
      } else res.destroy();
    }
  }

  private async follow(decision: RequestDecision, exchange: Exchange, res: ServerResponse): Promise<void> {
    switch (decision.kind) {
      case 'refuse':
        throw new ProxyFailure(403, decision.reason);
      case 'forward':
        if (decision.query) exchange.url.search = decision.query.toString();
        return this.pipe(exchange, res);
      case 'forward-container-list':
        return this.forwardList(exchange, res);
      case 'create': {
        const body = await readBounded(exchange.body, this.maxBodyBytes);
        allowOrThrow(checkCreateRequest(exchange.url.searchParams.get('name'), parseJson(body)));
        return this.pipe(exchange, res, body);
      }
      case 'container':
      case 'exec':
        return this.serveTargeted(decision, exchange, res);
    }
  }

  /** A path naming a container or an exec: look it up, decide, forward with its full id. */
  private async serveTargeted(
    decision: Extract<RequestDecision, { kind: 'container' | 'exec' }>,
    exchange: Exchange,
    res: ServerResponse,
  ): Promise<void> {
    const version = /^\/v\d+\.\d+(?=\/)/.exec(exchange.url.pathname)?.[0] ?? '';
    if (decision.kind === 'exec') {
      const exec = await this.upstreamJson<{ ContainerID?: string }>(`/exec/${decision.id}/json`);
      const container = await this.upstreamJson<InspectedContainer>(
        `/containers/${exec.ContainerID ?? ''}/json`,
      );
      allowOrThrow(decideContainerAccess('exec-create', container));
      return this.pipe(exchange, res);
    }
    const container = await this.upstreamJson<InspectedContainer & { Id: string }>(
      `/containers/${decision.id}/json`,
    );
    allowOrThrow(decideContainerAccess(decision.action, container));
    // The full id, so a rename between the check and the call cannot redirect it.
    exchange.url.pathname = `${version}/containers/${container.Id}${decision.rest}`;
    if (decision.action !== 'exec-create') return this.pipe(exchange, res);
    const body = await readBounded(exchange.body, this.maxBodyBytes);
    allowOrThrow(checkExecCreate(parseJson(body)));
    return this.pipe(exchange, res, body);
  }

  async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const exchange = exchangeOf(req);
    try {
      const decision = decideRequest(
        { method: exchange.method, path: exchange.url.pathname, query: exchange.url.searchParams },
        this.options.policy,
      );
      if (decision.kind !== 'exec' || decision.rest !== '/start') {
        throw new ProxyFailure(
          403,
          decision.kind === 'refuse' ? decision.reason : 'only exec start may upgrade',
        );
      }
      const exec = await this.upstreamJson<{ ContainerID?: string }>(`/exec/${decision.id}/json`);
      const container = await this.upstreamJson<InspectedContainer>(
        `/containers/${exec.ContainerID ?? ''}/json`,
      );
      allowOrThrow(decideContainerAccess('exec-create', container));
      // An upgrading request's body is not parsed for us: it is in `head` and on the socket.
      const length = Number(req.headers['content-length'] ?? head.length);
      if (!Number.isInteger(length) || length > this.maxBodyBytes)
        throw new ProxyFailure(413, 'body too large');
      const { body, rest } = await readExactly(socket, head, length);
      this.pipeUpgrade(exchange, socket, body, rest);
    } catch (error) {
      const status = error instanceof ProxyFailure ? error.status : 502;
      const message = error instanceof Error ? error.message : String(error);
      if (status === 403) this.logRefusal(exchange, message);
      socket.end(
        `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ message })}`,
      );
    }
  }

  private pipeUpgrade(exchange: Exchange, socket: Duplex, body: Buffer, rest: Buffer): void {
    const upstream = httpRequest({
      socketPath: this.options.upstreamSocket,
      method: exchange.method,
      path: exchange.url.pathname + exchange.url.search,
      headers: exchange.headers,
    });
    upstream.on('upgrade', (res, upstreamSocket, upstreamHead) => {
      socket.write(
        `HTTP/1.1 ${res.statusCode ?? 101} ${res.statusMessage ?? 'Switching Protocols'}\r\n${rawHeaders(res)}\r\n`,
      );
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (rest.length > 0) upstreamSocket.write(rest);
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('error', () => upstreamSocket.destroy());
    });
    upstream.on('response', (res) => {
      socket.write(`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n${rawHeaders(res)}\r\n`);
      res.pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    upstream.end(body);
  }

  /** Streams the request to the engine and the answer back (events and logs stay open). */
  private pipe(exchange: Exchange, res: ServerResponse, body?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers = { ...exchange.headers };
      if (body) {
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
      }
      const upstream = httpRequest(
        {
          socketPath: this.options.upstreamSocket,
          method: exchange.method,
          path: exchange.url.pathname + exchange.url.search,
          headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', reject);
        },
      );
      upstream.on('error', (error) => reject(new ProxyFailure(502, `engine: ${error.message}`)));
      res.on('close', () => upstream.destroy());
      if (body) upstream.end(body);
      else exchange.body.pipe(upstream);
    });
  }

  private async forwardList(exchange: Exchange, res: ServerResponse): Promise<void> {
    const { status, body } = await this.upstream(
      'GET',
      exchange.url.pathname + exchange.url.search,
      this.maxListBytes,
    );
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    const list = parseJson(body);
    const visible = Array.isArray(list) ? visibleContainers(list as ListedContainer[]) : [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(visible));
  }

  /** GET a JSON document from the engine; a 404 stays a 404 for the caller. */
  private async upstreamJson<T>(path: string): Promise<T> {
    const { status, body } = await this.upstream('GET', path, this.maxBodyBytes * 4);
    if (status === 404) throw new ProxyFailure(404, `no such object: ${path.split('/')[2] ?? ''}`);
    if (status !== 200) throw new ProxyFailure(502, `engine answered ${status} to GET ${path}`);
    return parseJson(body) as T;
  }

  private upstream(
    method: string,
    path: string,
    maxBytes: number,
  ): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ socketPath: this.options.upstreamSocket, method, path }, (answer) => {
        readBounded(answer, maxBytes).then(
          (body) => resolve({ status: answer.statusCode ?? 502, body }),
          reject,
        );
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`engine did not answer ${method} ${path}`)));
      req.on('error', (error) => reject(new ProxyFailure(502, `engine: ${error.message}`)));
      req.end();
    });
  }

  private logRefusal(exchange: Exchange, reason: string): void {
    this.options.log.warn(
      {
        client: exchange.client,
        method: exchange.method,
        path: printable(exchange.url.pathname + exchange.url.search),
        reason: printable(reason),
      },
      'agent: refused',
    );
  }
}

function exchangeOf(req: IncomingMessage): Exchange {
  return {
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', 'http://agent'),
    headers: req.headers,
    body: req,
    client: peerName(req.socket as TLSSocket),
  };
}

function peerName(socket: TLSSocket): string {
  try {
    const subject = socket.getPeerX509Certificate()?.subject ?? '';
    return /CN=([^\n]*)/.exec(subject)?.[1] ?? (subject || 'unknown');
  } catch {
    return 'unknown';
  }
}

function allowOrThrow(decision: AccessDecision): void {
  if (!decision.allowed) throw new ProxyFailure(403, decision.reason);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ProxyFailure(400, 'the body is not JSON');
  }
}

/** The first `length` bytes of a socket (starting with `head`), and what came after them. */
function readExactly(socket: Duplex, head: Buffer, length: number): Promise<{ body: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = head;
    const done = (): boolean => {
      if (buffered.length < length) return false;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      resolve({ body: buffered.subarray(0, length), rest: buffered.subarray(length) });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      done();
    };
    if (done()) return;
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Reads a whole stream, refusing more than `maxBytes`. */
function readBounded(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ProxyFailure(413, `body larger than ${maxBytes} bytes`));
        (stream as unknown as Duplex).destroy?.();
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function rawHeaders(res: IncomingMessage): string {
  let text = '';
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    text += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  return text;
}

/** Control characters in what a client sent never reach the log as such. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
