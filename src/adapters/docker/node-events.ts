import type Docker from 'dockerode';
import { Observable, defer, repeat, retry, timer, type SchedulerLike, asyncScheduler } from 'rxjs';
import { LABEL_MANAGED } from '../../core/types.js';
import type { NodeEvent } from '../../ports.js';
import { backoffDelayMs, type BackoffOptions } from '../../core/backoff.js';

export interface EventStreamOptions {
  reconnect: BackoffOptions;
  scheduler?: SchedulerLike;
}

/** Docker actions on managed containers that can change what a pass would find. */
const WATCHED_ACTIONS = [
  'create',
  'start',
  'restart',
  'die',
  'stop',
  'kill',
  'destroy',
  'health_status',
  'oom',
];

/** Filters of the event stream of managed containers on a node. */
const MANAGED_CONTAINER_EVENTS: EventFilters = {
  type: ['container'],
  label: [`${LABEL_MANAGED}=true`],
  event: WATCHED_ACTIONS,
};

/** Filters of a swarm manager's node events: nodes joining, leaving, relabelled, drained. */
export const SWARM_NODE_EVENTS: EventFilters = { type: ['node'] };

type EventFilters = Record<string, string[]>;

/**
 * Events of managed containers on one node. The stream never completes or errors while
 * subscribed: a broken connection is retried with capped exponential backoff, and every
 * (re)connection emits `connected`, because events may have been missed and a full resync is due.
 */
export function nodeEvents(node: string, docker: Docker, options: EventStreamOptions): Observable<NodeEvent> {
  return dockerEvents(node, docker, MANAGED_CONTAINER_EVENTS, options);
}

/** Any filtered Docker event stream of one engine, with the reconnect behaviour of nodeEvents. */
export function dockerEvents(
  node: string,
  docker: Docker,
  filters: EventFilters,
  options: EventStreamOptions,
): Observable<NodeEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return defer(() => connectOnce(node, docker, filters)).pipe(
    retry({ delay: (_error, attempt) => timer(backoffDelayMs(attempt, options.reconnect), scheduler) }),
    // A stream that ended cleanly (daemon restart) is followed again after the base delay.
    repeat({ delay: () => timer(options.reconnect.baseMs, scheduler) }),
  );
}

function connectOnce(node: string, docker: Docker, filters: EventFilters): Observable<NodeEvent> {
  return new Observable<NodeEvent>((subscriber) => {
    let stream: NodeJS.ReadableStream | undefined;
    let closed = false;
    let buffered = '';
    docker
      .getEvents({ filters })

      .then((s) => {
        if (closed) {
          (s as unknown as { destroy?: () => void }).destroy?.();
          return;
        }
        stream = s;
        subscriber.next({ node, action: 'connected' });
        s.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            const event = parseEvent(node, line);
            if (event) subscriber.next(event);
          }
        });
        s.on('error', (error: Error) => subscriber.error(error));
        s.on('end', () => subscriber.complete());
        s.on('close', () => subscriber.complete());
      })
      .catch((error: unknown) => subscriber.error(error));
    return () => {
      closed = true;
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    };
  });
}

/** One line of the engine's event stream as a NodeEvent; undefined for a blank or broken line. */
export function parseEvent(node: string, line: string): NodeEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const raw = JSON.parse(line) as {
      Action?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    const action = (raw.Action ?? 'unknown').split(':')[0] ?? 'unknown';
    return { node, action, container: raw.Actor?.Attributes?.name, ...actorFacts(raw.Actor) };
  } catch {
    return undefined;
  }
}

/** The container's ID and a `die` event's exit code, where the event carries them. */
function actorFacts(actor: { ID?: string; Attributes?: Record<string, string> } | undefined): {
  containerId?: string;
  exitCode?: number;
} {
  const exitCode = Number.parseInt(actor?.Attributes?.exitCode ?? '', 10);
  return {
    ...(actor?.ID === undefined ? {} : { containerId: actor.ID }),
    ...(Number.isNaN(exitCode) ? {} : { exitCode }),
  };
}
