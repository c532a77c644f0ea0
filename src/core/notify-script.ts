import { STATE_DIR, STATE_FILE_PATH } from './container-layout.js';

/** VRRP states keepalived reports through its notify hooks, each rendered as its own hook. */
export const NOTIFY_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
export type NotifyState = (typeof NOTIFY_STATES)[number];

/**
 * The script keepalived calls with the new state as its only argument. It writes the state to
 * {@link STATE_FILE_PATH} through a rename, so a reader never sees a half-written file.
 */
export function renderNotifyScript(): string {
  return [
    '#!/bin/sh',
    "# Written by swarm-vip: records this node's VRRP state where the reconciler reads it.",
    `mkdir -p ${STATE_DIR}`,
    `printf '%s\\n' "$1" > ${STATE_FILE_PATH}.tmp && mv -f ${STATE_FILE_PATH}.tmp ${STATE_FILE_PATH}`,
    '',
  ].join('\n');
}
