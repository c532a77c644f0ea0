import {
  CONFIG_PATH,
  CONFIG_TEMPLATE_PATH,
  INTERFACE_PLACEHOLDER,
  NOTIFY_SCRIPT_PATH,
  STALE_PID_FILES,
  STATE_DIR,
  STATE_FILE_PATH,
} from './container-layout.js';
import { shellQuote } from './shell-quote.js';

export interface ContainerCommandInput {
  /**
   * The node's unicast address (canonical form), used to find the interface when the VirtualIP
   * names none; omit it when the config names its interface.
   */
  resolveInterfaceOf?: string;
}

/**
 * The argv the container runs instead of the image's entry point. At every start (first start,
 * `docker start`, restart after a crash) it removes stale pid files (else keepalived sees its old
 * pid 1, says "already running" and exits 0), forgets the last VRRP state, finds the interface
 * holding the node's address when needed, writes the final config from the template, and execs
 * keepalived in the foreground (`-n`, or the container exits at once) logging to the console.
 */
export function containerCommand(input: ContainerCommandInput): string[] {
  const address = input.resolveInterfaceOf;
  // The address lands in messages inside double quotes: accept nothing but address characters.
  if (address !== undefined && !/^[0-9A-Fa-f.:]+$/.test(address)) {
    throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  }
  return ['sh', '-c', containerScript(input)];
}

function containerScript(input: ContainerCommandInput): string {
  const lines = [
    'set -eu',
    `rm -f ${STALE_PID_FILES.join(' ')}`,
    `mkdir -p ${STATE_DIR}`,
    `rm -f ${STATE_FILE_PATH}`,
    ...interfaceLines(input.resolveInterfaceOf),
    // The config may hold the VRRP password: readable by root only.
    'umask 077',
    `sed "s/${INTERFACE_PLACEHOLDER}/$iface/g" ${CONFIG_TEMPLATE_PATH} > ${CONFIG_PATH}`,
    // Reports the node's addresses whenever they change (see notify-script.ts); the long sleep
    // only feeds the watcher's `read -t` timer. Both end with the container.
    `if [ -x ${NOTIFY_SCRIPT_PATH} ]; then sleep 1000000000 | ${NOTIFY_SCRIPT_PATH} watch & fi`,
    `exec keepalived -n -l -D -f ${CONFIG_PATH}`,
  ];
  return lines.join('\n');
}

function interfaceLines(address: string | undefined): string[] {
  // No placeholder in the template: sed then only copies, and $iface is never used.
  if (address === undefined) return ["iface=''"];
  const want = shellQuote(address);
  return [
    // Field 4 of `ip -o addr` is address/prefix; veth names may carry an @peer suffix.
    `iface=$(ip -o addr show | awk -v want=${want} '{ split($4, a, "/"); if (a[1] == want) { sub(/@.*/, "", $2); print $2; exit } }')`,
    'if [ -z "$iface" ]; then',
    `  echo "swarm-vip: no interface holds ${address}; set spec.interface or fix the node address" >&2`,
    '  exit 1',
    'fi',
    `echo "swarm-vip: VIP interface is $iface (holds ${address})"`,
  ];
}
