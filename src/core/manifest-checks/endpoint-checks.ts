import { parseDockerUrl } from '../docker-url.js';
import { pointerSegment, problemAt } from '../problem-location.js';
import { LABEL_NODE_PRIORITY, parsePriority } from '../targets.js';
import type { LoadedNodeEndpoint } from '../types.js';
import type { Finding } from './finding.js';

/**
 * Checks one NodeEndpoint needs no other manifest for: its Docker URL parses with the grammar
 * the adapter connects with, TLS files only where TLS is used (tcp://), ssh settings only on
 * ssh://, and a priority label a
 * nodeSelector can use.
 */
export function endpointChecks(loaded: LoadedNodeEndpoint): Finding[] {
  const { metadata, spec } = loaded.manifest;
  const issues: [pointer: string, code: string, message: string][] = [];
  const url = parseDockerUrl(spec.docker);
  if (!url.ok) issues.push(['/spec/docker', 'docker-url', url.reason]);
  if (url.ok && spec.tls !== undefined && url.url.scheme !== 'tcp') {
    issues.push([
      '/spec/tls',
      'tls-without-tcp',
      `TLS files apply to tcp:// endpoints only; a ${url.url.scheme}:// endpoint would silently ignore them — remove spec.tls or use tcp://`,
    ]);
  }
  if (url.ok && spec.ssh !== undefined && url.url.scheme !== 'ssh') {
    issues.push([
      '/spec/ssh',
      'ssh-without-ssh-url',
      `ssh settings apply to ssh:// endpoints only; a ${url.url.scheme}:// endpoint would silently ignore them — remove spec.ssh or use ssh://user@host`,
    ]);
  }
  const priority = metadata.labels?.[LABEL_NODE_PRIORITY];
  if (priority !== undefined && parsePriority(priority) === undefined) {
    issues.push([
      `/metadata/labels/${pointerSegment(LABEL_NODE_PRIORITY)}`,
      'bad-priority-label',
      `${LABEL_NODE_PRIORITY} must be a whole number in 1..254 written in plain digits (like "150")`,
    ]);
  }
  return issues.map(([pointer, code, message]) => ({
    problem: problemAt(loaded.origin, pointer, code, message),
    endpoint: metadata.name,
  }));
}
