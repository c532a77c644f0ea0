import { HEALTH_CHECK_SCRIPT_PATH, INTERFACE_PLACEHOLDER, NOTIFY_SCRIPT_PATH } from './container-layout.js';
import { HEALTH_CHECK_DEFAULTS, healthProbeOf } from './health-check-script.js';
import { canonicalAddress, parseIpCidr } from './ip-address.js';
import { keepalivedString, keepalivedWord } from './keepalived-quote.js';
import { NOTIFY_STATES } from './notify-script.js';
import type { VirtualIP } from './types.js';
import { virtualRouterIdOf } from './virtual-router-id.js';
import { advertIntervalOf, vrrpVersionOf } from './vrrp-version.js';

/** Name of the vrrp_script block; one per config, so it needs no uniqueness. */
export const HEALTH_SCRIPT_NAME = 'swarm_vip_health';

/**
 * How the instance's priority line starts (the only line that does): a reload for a hand-over
 * rewrites it in the running config (see priority-reload-command.ts).
 */
export const PRIORITY_LINE_PREFIX = '  priority ';

/** Everything that shapes one node's keepalived.conf for one VirtualIP. */
export interface KeepalivedConfInput {
  vip: VirtualIP;
  /** The node the config is for (names keepalived's router_id). */
  node: string;
  priority: number;
  /** The node's own unicast address, of the VIP's family. */
  unicastSrcIp: string;
  /** The other target nodes' addresses, of the VIP's family; never the node's own. */
  unicastPeers: readonly string[];
  /** The VRRP PASS password (1..8 safe characters), when the VIP has `authentication`. */
  password?: string;
}

/**
 * Renders keepalived.conf for one VirtualIP on one node: keywords that keepalived 2.0.20 knows
 * and that keepalived 2.2.7 accepts without a warning. Deterministic: the same input gives the
 * same bytes. When `spec.interface` is absent the result holds {@link INTERFACE_PLACEHOLDER},
 * which the container command resolves on the node; so the text (and the spec hash) never
 * depends on facts only the running node knows.
 *
 * Every value from a manifest is written as keepalived's grammar needs it (a bare word only
 * when it is one, else quoted), so even a value that slipped past validation cannot add a line,
 * close a block or start a comment.
 *
 * @throws Error when an address cannot be parsed, KeepalivedQuoteError when a value cannot be
 * written (validation rejects both earlier).
 */
export function renderKeepalivedConf(input: KeepalivedConfInput): string {
  const { vip } = input;
  const iface = keepalivedWord(vip.spec.interface ?? INTERFACE_PLACEHOLDER);
  const checked = hasHealthCheck(vip);
  const blocks = [
    globalDefs(input.node),
    checked ? vrrpScript(vip) : [],
    vrrpInstance(input, iface, checked),
  ];
  return `${blocks
    .filter((b) => b.length > 0)
    .map((b) => b.join('\n'))
    .join('\n\n')}\n`;
}

function globalDefs(node: string): string[] {
  return [
    '# Rendered by swarm-vip. Do not edit: the reconciler replaces the container on any change.',
    'global_defs {',
    `  router_id ${configToken(node)}`,
    // Scripts run as root (no keepalived_script user in the images) and keepalived refuses
    // scripts that a non-root user could change.
    '  script_user root',
    '  enable_script_security',
    '}',
  ];
}

function vrrpScript(vip: VirtualIP): string[] {
  const check = { ...HEALTH_CHECK_DEFAULTS, ...vip.spec.healthCheck };
  return [
    `vrrp_script ${HEALTH_SCRIPT_NAME} {`,
    `  script "${HEALTH_CHECK_SCRIPT_PATH}"`,
    `  interval ${check.intervalSeconds}`,
    `  timeout ${check.timeoutSeconds}`,
    `  fall ${check.fall}`,
    `  rise ${check.rise}`,
    '}',
  ];
}

/** Whether the VIP declares a usable health check (then its script file must be delivered too). */
export function hasHealthCheck(vip: VirtualIP): boolean {
  return vip.spec.healthCheck !== undefined && healthProbeOf(vip.spec.healthCheck) !== undefined;
}

function vrrpInstance(input: KeepalivedConfInput, iface: string, checked: boolean): string[] {
  const { vip } = input;
  const version = vrrpVersionOf(vip.spec);
  const lines = [
    `vrrp_instance ${configToken(vip.metadata.name)} {`,
    // Always BACKUP: the election, not the config, decides who is MASTER, and nopreempt needs it.
    '  state BACKUP',
    `  interface ${iface}`,
    `  virtual_router_id ${virtualRouterIdOf(vip)}`,
    `${PRIORITY_LINE_PREFIX}${input.priority}`,
    `  advert_int ${formatInterval(advertIntervalOf(vip.spec))}`,
    `  version ${version}`,
    ...(vip.spec.preempt === false ? ['  nopreempt'] : []),
    ...unicastLines(input),
    '  virtual_ipaddress {',
    ...vip.spec.addresses.map((a) => `    ${vipLine(a, iface)}`),
    '  }',
    ...authLines(input.password, version),
    ...(checked ? ['  track_script {', `    ${HEALTH_SCRIPT_NAME}`, '  }'] : []),
    ...NOTIFY_STATES.map((s) => `  notify_${s.toLowerCase()} "${NOTIFY_SCRIPT_PATH} ${s}"`),
    '}',
  ];
  return lines;
}

// With no peer (a single target node) keepalived would warn that an empty unicast_peer falls
// back to multicast; leaving both keywords out says the same thing without the warning.
function unicastLines(input: KeepalivedConfInput): string[] {
  if (input.unicastPeers.length === 0) return [];
  return [
    `  unicast_src_ip ${keepalivedWord(input.unicastSrcIp)}`,
    '  unicast_peer {',
    ...input.unicastPeers.map((p) => `    ${keepalivedWord(p)}`),
    '  }',
  ];
}

function authLines(password: string | undefined, version: 2 | 3): string[] {
  // VRRPv3 has no authentication; desiredState refuses that combination before rendering.
  if (password === undefined || version !== 2) return [];
  return ['  authentication {', '    auth_type PASS', `    auth_pass ${keepalivedString(password)}`, '  }'];
}

function vipLine(text: string, iface: string): string {
  const parsed = parseIpCidr(text);
  if (!parsed) throw new Error(`not an IP address or CIDR: ${JSON.stringify(text)}`);
  return `${canonicalAddress(parsed.address)}/${parsed.prefix} dev ${iface}`;
}

/** Seconds with at most two decimals (VRRPv3 counts centiseconds), without trailing zeros. */
function formatInterval(seconds: number): string {
  return String(Math.round(seconds * 100) / 100);
}

// keepalived splits on white space and treats # and ! as comments; names are DNS labels and
// hostnames already, this only keeps an odd one from breaking the file.
function configToken(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}
