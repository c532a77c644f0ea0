import { compareStrings } from './compare-strings.js';
import { containerCommand, environmentFiles, fileDeliveryOf } from './container-command.js';
import {
  CONFIG_FILE_MODE,
  CONFIG_TEMPLATE_PATH,
  HEALTH_CHECK_SCRIPT_PATH,
  NOTIFY_SCRIPT_PATH,
  SCRIPT_FILE_MODE,
} from './container-layout.js';
import { HEALTH_CHECK_DEFAULTS, healthProbeOf, renderHealthCheckScript } from './health-check-script.js';
import { canonicalAddress, parseIpAddress, parseIpCidr, type IpFamily } from './ip-address.js';
import { renderNotifyScript } from './notify-script.js';
import { renderKeepalivedConf } from './render-keepalived-conf.js';
import { specHash } from './spec-hash.js';
import { advertIntervalOf } from './vrrp-version.js';
import { resolveTargets, type Target } from './targets.js';
import {
  DEFAULT_IMAGE,
  LABEL_MANAGED,
  LABEL_SPEC_HASH,
  LABEL_VIP,
  type ClusterNode,
  type ContainerFile,
  type DesiredContainer,
  type DesiredState,
  type FrozenVips,
  type VirtualIP,
} from './types.js';

/** Which VIP each desired address belongs to (addresses canonical, without prefix). */
export function vipByAddress(desired: DesiredState): Map<string, string> {
  const index = new Map<string, string>();
  for (const c of desired.containers) for (const a of c.addresses) index.set(a, c.vip);
  return index;
}

/** Container name of a VIP's keepalived on every node. */

export function containerNameOf(vip: string): string {
  return `keepalived-${vip}`;
}

export interface DesiredStateInput {
  /**
   * VIPs that passed every rule (`validateAgainstNodes`) against `nodes`, and whose passwords were
   * read: trusted, not checked again here. Callers holding LoadedVirtualIP pass `.manifest`.
   */
  virtualIPs: readonly VirtualIP[];
  nodes: readonly ClusterNode[];
  /** VRRP passwords by VIP name, read and checked by the caller (one for each VIP with authentication). */
  passwords: ReadonlyMap<string, string>;
  /** VIPs whose containers stay exactly as they are (invalid manifests, unreadable passwords). */
  frozen: FrozenVips;
}

/**
 * What every node should run: one DesiredContainer per non-suspended, non-frozen VIP and target
 * node, in (vip, node) order. Suspended VIPs join `frozen.names`, so a pass leaves their
 * containers alone. Validation happened before (one path: src/manifest/); an input that breaks
 * its promise is a bug, reported by throwing.
 */
export function desiredState(input: DesiredStateInput): DesiredState {
  const frozen = new Set(input.frozen.names);
  const containers: DesiredContainer[] = [];
  const suspendedAddresses = new Map<string, string[]>();
  for (const vip of input.virtualIPs) {
    const name = vip.metadata.name;
    if (frozen.has(name)) continue;
    if (vip.spec.suspend === true) {
      frozen.add(name);
      suspendedAddresses.set(name, vip.spec.addresses.map(canonicalVip));
      continue;
    }
    containers.push(...renderVip(vip, input));
  }
  containers.sort((a, b) => compareStrings(a.vip, b.vip) || compareStrings(a.node, b.node));
  return {
    containers,
    frozen: { names: frozen, unknownNames: input.frozen.unknownNames },
    suspendedAddresses,
  };
}

interface NodePlacement {
  target: Target;
  address: string;
}

function renderVip(vip: VirtualIP, input: DesiredStateInput): DesiredContainer[] {
  const name = vip.metadata.name;
  const family = parseIpCidr(vip.spec.addresses[0] ?? '')?.family;
  if (!family) throw new Error(`VirtualIP ${name} reached desiredState unvalidated: bad first address`);
  const password = vip.spec.authentication ? input.passwords.get(name) : undefined;
  if (vip.spec.authentication && password === undefined) {
    throw new Error(`VirtualIP ${name} reached desiredState without its password`);
  }
  const placements = resolveTargets(vip.spec, input.nodes).targets.map((target): NodePlacement => {
    const address = nodeAddress(target.node, family);
    if (address === undefined) {
      throw new Error(
        `VirtualIP ${name} reached desiredState unvalidated: ${target.node.name} has no address`,
      );
    }
    return { target, address };
  });
  return placements.map((p) => buildContainer(vip, p, placements, password));
}

function nodeAddress(node: ClusterNode, family: IpFamily): string | undefined {
  for (const text of node.addresses) {
    const address = parseIpAddress(text);
    if (address?.kind() === family) return canonicalAddress(address);
  }
  return undefined;
}

function buildContainer(
  vip: VirtualIP,
  self: NodePlacement,
  all: readonly NodePlacement[],
  password: string | undefined,
): DesiredContainer {
  const name = vip.metadata.name;
  const peers = [...new Set(all.map((p) => p.address))].filter((a) => a !== self.address);
  const conf = renderKeepalivedConf({
    vip,
    node: self.target.node.name,
    priority: self.target.priority,
    unicastSrcIp: self.address,
    unicastPeers: peers,
    ...(password === undefined ? {} : { password }),
  });
  const files = containerFiles(vip, conf);
  const image = vip.spec.image ?? DEFAULT_IMAGE;
  // Without a password nothing is secret: the files ride in the create request (one request less).
  const fileDelivery = fileDeliveryOf(files, password !== undefined);
  const addresses = vip.spec.addresses.map(canonicalVip);
  const command = containerCommand({
    ...(vip.spec.interface === undefined ? { resolveInterfaceOf: self.address } : {}),
    ...(fileDelivery === 'environment' ? { filesFromEnvironment: environmentFiles(files) } : {}),
    vipAddresses: addresses,
  });
  const hash = specHash({ image, command, files });
  return {
    vip: name,
    node: self.target.node.name,
    name: containerNameOf(name),
    image,
    labels: { [LABEL_MANAGED]: 'true', [LABEL_VIP]: name, [LABEL_SPEC_HASH]: hash },
    command,
    files,
    fileDelivery,
    specHash: hash,
    priority: self.target.priority,
    addresses,
    ...(vip.spec.preempt === false ? {} : { preemptWithinMs: preemptWithinMs(vip, self.target.priority) }),
  };
}

/** Slack for scheduling and the report reaching the reconciler. */
const PREEMPT_MARGIN_MS = 1000;

/** VRRP master-down interval of this node (3 x advert interval + skew), plus a margin. */
function preemptWithinMs(vip: VirtualIP, priority: number): number {
  const advertMs = advertIntervalOf(vip.spec) * 1000;
  return Math.ceil(3 * advertMs + ((256 - priority) / 256) * advertMs) + PREEMPT_MARGIN_MS;
}

/** The VIP's address as `ip addr` prints it, so probes can match it; unparsable text as written. */
function canonicalVip(text: string): string {
  const cidr = parseIpCidr(text);
  return cidr ? canonicalAddress(cidr.address) : text;
}

function containerFiles(vip: VirtualIP, conf: string): ContainerFile[] {
  const files: ContainerFile[] = [
    { path: CONFIG_TEMPLATE_PATH, content: conf, mode: CONFIG_FILE_MODE },
    { path: NOTIFY_SCRIPT_PATH, content: renderNotifyScript(), mode: SCRIPT_FILE_MODE },
  ];
  const check = vip.spec.healthCheck;
  const probe = check ? healthProbeOf(check) : undefined;
  if (check && probe) {
    const timeout = check.timeoutSeconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds;
    files.push({
      path: HEALTH_CHECK_SCRIPT_PATH,
      content: renderHealthCheckScript(probe, timeout),
      mode: SCRIPT_FILE_MODE,
    });
  }
  return files;
}
