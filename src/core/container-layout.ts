/**
 * Where things live inside a keepalived container. These paths are a contract between the
 * renderer (which produces files for them), the Docker adapter (which puts the files into the
 * container before it starts) and the prober (which reads the VRRP state file).
 *
 * The adapter must create {@link CONFIG_DIR} root-owned and not group/world-writable:
 * keepalived's `enable_script_security` refuses scripts below a directory others can write.
 */

/** Directory holding every file swarm-vip delivers into the container. */
export const CONFIG_DIR = '/etc/swarm-vip';

/** The rendered keepalived.conf, possibly holding {@link INTERFACE_PLACEHOLDER}; may hold the VRRP password. */
export const CONFIG_TEMPLATE_PATH = `${CONFIG_DIR}/keepalived.conf.tmpl`;

/** The final keepalived.conf, written by the container command at every start. */
export const CONFIG_PATH = `${CONFIG_DIR}/keepalived.conf`;

/** keepalived calls it on every VRRP state change; it records the state in {@link STATE_FILE_PATH}. */
export const NOTIFY_SCRIPT_PATH = `${CONFIG_DIR}/notify.sh`;

/** The health check (only present when the VirtualIP has a `healthCheck`). */
export const HEALTH_CHECK_SCRIPT_PATH = `${CONFIG_DIR}/health-check.sh`;

/** Directory for runtime state; the container command creates it. */
export const STATE_DIR = '/run/swarm-vip';

/**
 * keepalived's own view of this node: one line, MASTER, BACKUP, FAULT or STOP. The container
 * command deletes it at every start, so a missing file means "no word from keepalived yet".
 */
export const STATE_FILE_PATH = `${STATE_DIR}/vrrp-state`;

/**
 * Where the notify hook prints its report lines: the output of the container's process 1
 * (keepalived), which Docker keeps as the container's log. keepalived gives scripts no stdout.
 */
export const REPORT_SINK_PATH = '/proc/1/fd/1';

/** Prefix of a state report line: `swarm-vip:state MASTER addrs 127.0.0.1 198.18.0.1 fd00...`. */
export const REPORT_STATE = 'swarm-vip:state ';

/** Prefix of an address report line: `swarm-vip:addrs 127.0.0.1 198.18.0.1 fd00...`. */
export const REPORT_ADDRESSES = 'swarm-vip:addrs';

/** keepalived's main process writes its pid here (a reload is a SIGHUP to it). */
export const KEEPALIVED_PID_FILE = '/run/keepalived.pid';

/**
 * Prefix of the line a priority reload prints (`swarm-vip:priority 254 (keepalived reloaded)`):
 * the priority the running keepalived has had since, until the container restarts.
 */
export const REPORT_PRIORITY = 'swarm-vip:priority ';

/** Pid files that make a restarted keepalived believe it is already running (and exit 0). */
export const STALE_PID_FILES: readonly string[] = [KEEPALIVED_PID_FILE, '/run/vrrp.pid', '/run/checkers.pid'];

/**
 * Stands for the interface in {@link CONFIG_TEMPLATE_PATH} when `spec.interface` is absent; the
 * container command replaces it with the interface holding the node's unicast address.
 */
export const INTERFACE_PLACEHOLDER = '@@SWARM_VIP_INTERFACE@@';

/** Mode of the config files: they may carry the VRRP password. */
export const CONFIG_FILE_MODE = 0o600;

/** Mode of the scripts keepalived runs. */
export const SCRIPT_FILE_MODE = 0o755;
