import {
  CONFIG_DIR,
  CONFIG_PATH,
  CONFIG_TEMPLATE_PATH,
  INTERFACE_PLACEHOLDER,
  NOTIFY_SCRIPT_PATH,
  STALE_PID_FILES,
  STATE_DIR,
  STATE_FILE_PATH,
} from './container-layout.js';
import { addressRemovalLines } from './address-removal-command.js';
import { shellQuote } from './shell-quote.js';

export interface ContainerCommandInput {
  /**
   * The node's unicast address (canonical form), used to find the interface when the VirtualIP
   * names none; omit it when the config names its interface.
   */
  resolveInterfaceOf?: string;
  /**
   * Files carried in the create request's environment (see {@link environmentFiles}): the
   * command writes them at every start. Files not listed here are put into the container.
   */
  filesFromEnvironment?: readonly EnvironmentFile[];
  /**
   * The VIP's addresses (plain IP addresses): removed from the node's interfaces at every start,
   * before keepalived runs, and when keepalived dies.
   */
  vipAddresses?: readonly string[];
}

/** A file whose content travels in an environment variable of the create request. */
export interface EnvironmentFile {
  path: string;
  mode: number;
  variable: string;
}

/**
 * Where each file goes when carried in the environment: `SWARM_VIP_FILE_<n>`, in file order. Only
 * for files without secrets: the environment shows in `docker inspect`.
 */
export function environmentFiles(files: readonly { path: string; mode: number }[]): EnvironmentFile[] {
  return files.map((f, n) => ({ path: f.path, mode: f.mode, variable: `SWARM_VIP_FILE_${n}` }));
}

/**
 * Bytes of file content that may ride in the create request. Linux caps one environment string at
 * 128 KiB (MAX_ARG_STRLEN) and the whole exec at a quarter of the stack limit; a config of a few
 * VIPs is 1-2 KiB, so anything near the cap goes into the container instead.
 */
export const ENVIRONMENT_FILES_MAX_BYTES = 64 * 1024;

/**
 * How the files reach the container: in the create request's environment (one request less, the
 * command writes them at every start) unless something there is secret (the environment shows in
 * `docker inspect`), a NUL byte could not travel in an environment string, or they are too large.
 */
export function fileDeliveryOf(
  files: readonly { content: string }[],
  hasSecret: boolean,
): 'environment' | 'archive' {
  if (hasSecret) return 'archive';
  let bytes = 0;
  for (const f of files) {
    if (f.content.includes('\0')) return 'archive';
    bytes += Buffer.byteLength(f.content, 'utf8');
  }
  return bytes <= ENVIRONMENT_FILES_MAX_BYTES ? 'environment' : 'archive';
}

/** The create request's environment that carries `files` (as {@link environmentFiles} names them). */
export function fileEnvironment(files: readonly { path: string; mode: number; content: string }[]): string[] {
  return environmentFiles(files).map((f, n) => `${f.variable}=${files[n]?.content ?? ''}`);
}

/**
 * The argv the container runs instead of the image's entry point. At every start (first start,
 * `docker start`, restart after a crash) it removes the VIP's addresses from the node (see
 * below), removes stale pid files (else keepalived sees its old pid 1, says "already running" and
 * exits 0), forgets the last VRRP state, finds the interface holding the node's address when
 * needed, writes the final config from the template, and execs keepalived in the foreground
 * (`-n`, or the container exits at once) logging to the console, supervised by this shell (see
 * superviseKeepalived).
 *
 * Why the addresses go first: a keepalived killed by SIGKILL (`docker rm -f`, `kill -9`, the OOM
 * killer) leaves them on the node while another node takes over, so two nodes answer for the
 * address. Its restart (restart policy, or the reconciler's replacement) is the first thing that
 * runs on the node again; a starting keepalived is not MASTER, so the node must not carry them,
 * and keepalived itself would only drop them once it has initialised, hundreds of ms later.
 *
 * The shell is process 1, which ignores every signal it has no handler for: its traps let a
 * `docker stop` end the container at once before keepalived runs, and pass it on afterwards.
 */
export function containerCommand(input: ContainerCommandInput): string[] {
  const address = input.resolveInterfaceOf;
  // The address lands in messages inside double quotes: accept nothing but address characters.
  if (address !== undefined && !/^[0-9A-Fa-f.:]+$/.test(address)) {
    throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  }
  return ['sh', '-c', containerScript(input)];
}

/** How the command's own removals read in the container's log: `swarm-vip: removed <cidr> <dev>`. */
const REMOVED_PREFIX = 'swarm-vip: removed ';

function containerScript(input: ContainerCommandInput): string {
  const lines = [
    'set -eu',
    "trap 'exit 143' TERM INT",
    ...addressRemovalLines(input.vipAddresses ?? [], REMOVED_PREFIX),
    `rm -f ${STALE_PID_FILES.join(' ')}`,
    `mkdir -p ${STATE_DIR}`,
    `rm -f ${STATE_FILE_PATH}`,
    ...environmentFileLines(input.filesFromEnvironment ?? []),
    ...interfaceLines(input.resolveInterfaceOf),
    // The config may hold the VRRP password: readable by root only.
    'umask 077',
    `sed "s/${INTERFACE_PLACEHOLDER}/$iface/g" ${CONFIG_TEMPLATE_PATH} > ${CONFIG_PATH}`,
    // Reports the node's addresses whenever they change (see notify-script.ts); the long sleep
    // only feeds the watcher's `read -t` timer. Both end with the container.
    `if [ -x ${NOTIFY_SCRIPT_PATH} ]; then sleep 1000000000 | ${NOTIFY_SCRIPT_PATH} watch & fi`,
    ...superviseKeepalived(input.vipAddresses ?? []),
  ];
  return lines.join('\n');
}

/**
 * keepalived runs as a child of this shell, not in its place: when keepalived dies without
 * cleaning up (SIGKILL, the OOM killer, a crash), the shell removes the VIP's addresses from the
 * node at once — milliseconds, where a restart by the restart policy takes a second or more on a
 * busy node — and exits with keepalived's status, so the restart policy still restarts it.
 * SIGTERM and SIGINT are passed on to keepalived, which then releases the VIP as usual (priority
 * 0) before it exits; the shell waits for it. Either way it reports the node's addresses last. Killing the container itself (`docker kill`,
 * `rm -f`) still leaves the addresses: the next start removes them (see containerScript).
 */
function superviseKeepalived(addresses: readonly string[]): string[] {
  return [
    `keepalived -n -l -D -f ${CONFIG_PATH} &`,
    'keepalived=$!',
    `trap 'kill -TERM "$keepalived" 2>/dev/null || :' TERM INT`,
    // wait returns early (> 128) when a trapped signal arrives: wait again while keepalived lives.
    'while :; do',
    '  status=0',
    '  wait "$keepalived" || status=$?',
    '  if ! kill -0 "$keepalived" 2>/dev/null; then break; fi',
    'done',
    ...addressRemovalLines(addresses, REMOVED_PREFIX),
    // The node's addresses afresh, as the container's last word: the reconciler sees at once that
    // this node no longer holds the VIP (nothing else here reports it once the container is gone).
    `if [ -x ${NOTIFY_SCRIPT_PATH} ]; then ${NOTIFY_SCRIPT_PATH} report || :; fi`,
    'exit "$status"',
  ];
}

function environmentFileLines(files: readonly EnvironmentFile[]): string[] {
  if (files.length === 0) return [];
  // Root-owned, not writable by others: keepalived's enable_script_security insists.
  const lines = [`mkdir -p ${CONFIG_DIR}`, `chmod 755 ${CONFIG_DIR}`];
  for (const f of files) {
    if (!/^SWARM_VIP_FILE_\d+$/.test(f.variable) || !/^[/A-Za-z0-9._-]+$/.test(f.path)) {
      throw new Error(`not a file to carry in the environment: ${JSON.stringify(f)}`);
    }
    const path = shellQuote(f.path);
    lines.push(`printf '%s' "$${f.variable}" > ${path}`, `chmod ${f.mode.toString(8)} ${path}`);
  }
  return lines;
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
