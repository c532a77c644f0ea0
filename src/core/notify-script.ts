import { REPORT_ADDRESSES, REPORT_SINK_PATH, REPORT_STATE, STATE_FILE_PATH } from './container-layout.js';

/** VRRP states keepalived reports through its notify hooks, each rendered as its own hook. */
export const NOTIFY_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
export type NotifyState = (typeof NOTIFY_STATES)[number];

/**
 * The script keepalived calls with the new state as its only argument, and that the container
 * command also runs in the background as `notify.sh watch`.
 *
 * - As a hook, it writes the state to {@link STATE_FILE_PATH} and prints one report line, the state and the addresses on the
 *   node's interfaces, to the container's output ({@link REPORT_SINK_PATH}: keepalived gives its
 *   scripts no stdout), where the reconciler follows it through the Docker API.
 * - As `watch`, it prints the node's addresses whenever they change (an address added or removed
 *   by hand, or left behind by a killed keepalived elsewhere). Neither busybox `ip` nor keepalived
 *   reports foreign address changes, so it reads the kernel's tables once a second — with shell
 *   builtins only, so a check forks no process; its timer is a `read -t` on a pipe that never
 *   delivers.
 *
 * - As `report`, it prints the addresses once (the reconciler runs it after removing one).
 *
 * Addresses come from /proc/net/fib_trie (IPv4: the `/32 host LOCAL` entries) and
 * /proc/net/if_inet6 (IPv6, 32 hex digits): the node's interfaces, since the container shares the
 * node's network namespace.
 */
export function renderNotifyScript(): string {
  return [
    '#!/bin/sh',
    "# Written by swarm-vip: reports this node's VRRP state and addresses to the reconciler.",
    'addresses() {',
    "  addrs=''",
    "  last=''",
    '  while read -r a b c rest; do',
    '    case "$a" in',
    "      '|--') last=$b ;;",
    '      /32) if [ "$c" = LOCAL ]; then addrs="$addrs $last"; fi ;;',
    '    esac',
    '  done < /proc/net/fib_trie',
    '  while read -r hex rest; do addrs="$addrs $hex"; done < /proc/net/if_inet6',
    '}',
    'if [ "${1:-}" = watch ]; then',
    "  prev=''",
    '  while :; do',
    '    addresses',
    `    if [ "$addrs" != "$prev" ]; then printf '${REPORT_ADDRESSES}%s\\n' "$addrs"; prev=$addrs; fi`,
    '    read -t 1 _ || :',
    '  done',
    'fi',
    'if [ "${1:-}" = report ]; then',
    '  addresses',
    `  printf '${REPORT_ADDRESSES}%s\\n' "$addrs" > ${REPORT_SINK_PATH}`,
    '  exit 0',
    'fi',
    // Builtins only (the container command made the directory): a hook that forks nothing
    // reports within milliseconds. One short write of a few bytes is never seen half-done.
    `printf '%s\\n' "$1" > ${STATE_FILE_PATH}`,
    'addresses',
    `printf '${REPORT_STATE}%s addrs%s\\n' "$1" "$addrs" > ${REPORT_SINK_PATH}`,
    '',
  ].join('\n');
}
