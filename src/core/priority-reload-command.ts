import {
  CONFIG_PATH,
  KEEPALIVED_PID_FILE,
  REPORT_PRIORITY,
  REPORT_SINK_PATH,
  STATE_FILE_PATH,
} from './container-layout.js';
import { PRIORITY_LINE_PREFIX } from './render-keepalived-conf.js';

/** Prefix of the line that tells keepalived's VRRP state before the reload (`state MASTER`). */
export const PRIORITY_STATE_LINE = 'state ';

/**
 * Exit code of the reload command when keepalived has not reported a VRRP state since the
 * container started: it may still be starting, and would not act on a SIGHUP. Nothing is changed.
 */
export const PRIORITY_NOT_READY = 4;

/** Last line of the reload command's output when it rewrote the config and signalled keepalived. */
export const PRIORITY_RELOADED = 'reloaded';

/** Last line of the reload command's output when the running config had that priority already. */
export const PRIORITY_UNCHANGED = 'unchanged';

/**
 * argv, run inside a managed keepalived container, that sets the VRRP priority of its running
 * config to `priority` and reloads keepalived (SIGHUP to its main process; keepalived 2.x keeps
 * each instance's state across a reload, so a MASTER stays MASTER and its address stays put).
 * Nothing happens when the config has that priority already, so the command can be repeated.
 * Only the running config (written by the container command at every start, from the delivered
 * template) changes: a restart of the container brings back the manifest's priority.
 *
 * It says what it did in the container's log ({@link REPORT_PRIORITY}: `docker logs` shows the
 * reload, and the reconciler following that log knows the priority keepalived runs with), prints
 * keepalived's VRRP state as it was ({@link PRIORITY_STATE_LINE}), then {@link PRIORITY_RELOADED}
 * or {@link PRIORITY_UNCHANGED} last. It exits {@link PRIORITY_NOT_READY} when keepalived has not
 * reported a state yet, and 2 when the config does not hold exactly one priority line or
 * keepalived's pid is unknown, saying why on stderr and changing nothing.
 *
 * @throws Error when `priority` is not a VRRP priority (1..254), which keeps anything else out of
 *   the shell.
 */
export function priorityReloadCommand(priority: number): string[] {
  if (!Number.isInteger(priority) || priority < 1 || priority > 254) {
    throw new Error(`not a VRRP priority (1..254): ${JSON.stringify(priority)}`);
  }
  const line = `${PRIORITY_LINE_PREFIX}${priority}`;
  const pattern = `^${PRIORITY_LINE_PREFIX}[0-9]+$`;
  const lines = [
    'set -eu',
    `conf=${CONFIG_PATH}`,
    `found=$(grep -c -E '${pattern}' "$conf" || :)`,
    `if [ "$found" != 1 ]; then echo "$conf holds \${found:-no} priority lines, not one" >&2; exit 2; fi`,
    `state=$(cat ${STATE_FILE_PATH} 2>/dev/null || :)`,
    `echo "${PRIORITY_STATE_LINE}$state"`,
    `if grep -q -x '${line}' "$conf"; then echo ${PRIORITY_UNCHANGED}; exit 0; fi`,
    // keepalived drops a SIGHUP that comes before it has set up (measured on 2.2.7); its first
    // state report (written at every start) says it has.
    `if [ -z "$state" ]; then echo "keepalived has reported no VRRP state yet" >&2; exit ${PRIORITY_NOT_READY}; fi`,
    `pid=$(cat ${KEEPALIVED_PID_FILE})`,
    `case "$pid" in ''|*[!0-9]*) echo "no keepalived pid in ${KEEPALIVED_PID_FILE}" >&2; exit 2;; esac`,
    // The config may hold the VRRP password: readable by root only, replaced in one rename.
    'umask 077',
    `sed -E 's/${pattern}/${line}/' "$conf" > "$conf.new"`,
    'mv "$conf.new" "$conf"',
    'kill -HUP "$pid"',
    `echo "${REPORT_PRIORITY}${priority} (keepalived reloaded)" > ${REPORT_SINK_PATH} || :`,
    `echo ${PRIORITY_RELOADED}`,
  ];
  return ['sh', '-c', lines.join('\n')];
}
