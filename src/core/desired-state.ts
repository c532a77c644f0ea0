import { compareStrings } from './compare-strings.js';
import { containerCommand } from './container-command.js';
import {
  CONFIG_FILE_MODE,
  CONFIG_TEMPLATE_PATH,
  HEALTH_CHECK_SCRIPT_PATH,
  NOTIFY_SCRIPT_PATH,
  SCRIPT_FILE_MODE,
} from './container-layout.js';
import { HEALTH_CHECK_DEFAULTS, healthProbeOf, renderHealthCheckScript } from './health-check-script.js';
import { canonicalAddress, familyName, parseIpAddress, parseIpCidr, type IpFamily } from './ip-address.js';
import { renderNotifyScript } from './notify-script.js';
import { renderKeepalivedConf } from './render-keepalived-conf.js';
import { specHash } from './spec-hash.js';
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
import { vrrpVersionOf } from './vrrp-version.js';

/** VRRPv2 PASS carries at most 8 octets. */
export const MAX_PASSWORD_LENGTH = 8;

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
  /** VIPs that loaded and validated; callers holding LoadedVirtualIP pass `.manifest`. */
  virtualIPs: readonly VirtualIP[];
  nodes: readonly ClusterNode[];
  /** VRRP passwords by VIP name, read by the caller from passwordFile / passwordEnv. */
  passwords: ReadonlyMap<string, string>;
  /** VIPs already frozen by the manifest loader. */
  frozen: FrozenVips;
}

/**
 * Something about one VIP (on one node, when `node` is set) that the manifests alone do not show.
 * Never carries a password. `path` is the JSON pointer of the value concerned, when there is one,
 * so the caller can locate it in the manifest file.
 */
export interface DesiredStateIssue {
  vip: string;
  node?: string;
  path?: string;
  message: string;
}

export interface DesiredStateResult {
  state: DesiredState;
  /** Each froze its VIP: no containers are desired for it and its existing ones stay as they are. */
  problems: DesiredStateIssue[];
  /** Worth telling the operator, but the VIP is rendered anyway (e.g. a named node is unknown). */
  warnings: DesiredStateIssue[];
}

/**
 * What every node should run: one DesiredContainer per non-suspended VIP and target node, in
 * (vip, node) order. Suspended VIPs and VIPs that cannot be rendered for one of their nodes join
 * `frozen.names`, so a pass leaves their containers alone instead of tearing a working VIP down.
 */
export function desiredState(input: DesiredStateInput): DesiredStateResult {
  const frozen = new Set(input.frozen.names);
  const problems: DesiredStateIssue[] = [];
  const warnings: DesiredStateIssue[] = [];
  const containers: DesiredContainer[] = [];
  const seen = new Set<string>();
  for (const vip of input.virtualIPs) {
    const name = vip.metadata.name;
    if (seen.has(name)) {
      problems.push({
        vip: name,
        path: '/metadata/name',
        message: `VirtualIP ${name} is declared more than once`,
      });
      frozen.add(name);
      continue;
    }
    seen.add(name);
    if (frozen.has(name)) continue;
    if (vip.spec.suspend === true) {
      frozen.add(name);
      continue;
    }
    const rendered = renderVip(vip, input);
    warnings.push(...rendered.warnings);
    if (rendered.problems.length > 0) {
      problems.push(...rendered.problems);
      frozen.add(name);
    } else {
      containers.push(...rendered.containers);
    }
  }
  // A duplicate found late must not leave containers of its first occurrence behind.
  const kept = containers.filter((c) => !frozen.has(c.vip));
  kept.sort((a, b) => compareStrings(a.vip, b.vip) || compareStrings(a.node, b.node));
  return {
    state: { containers: kept, frozen: { names: frozen, unknownNames: input.frozen.unknownNames } },
    problems,
    warnings,
  };
}

interface RenderedVip {
  containers: DesiredContainer[];
  problems: DesiredStateIssue[];
  warnings: DesiredStateIssue[];
}

interface NodePlacement {
  target: Target;
  address: string;
}

function renderVip(vip: VirtualIP, input: DesiredStateInput): RenderedVip {
  const name = vip.metadata.name;
  const family = familyOf(vip);
  const problems = typeof family === 'string' ? [] : [family];
  const password = checkPassword(vip, input.passwords, problems);
  if (vip.spec.healthCheck && !healthProbeOf(vip.spec.healthCheck)) {
    problems.push({
      vip: name,
      path: '/spec/healthCheck',
      message: 'healthCheck needs one of tcp, http or exec',
    });
  }
  const { targets, missing } = resolveTargets(vip.spec, input.nodes);
  const warnings = missing.map((node) => ({
    vip: name,
    node,
    path: '/spec/nodes',
    message: `node ${node} is not in the cluster; the VIP runs on the other nodes`,
  }));
  if (typeof family !== 'string') return { containers: [], problems, warnings };
  const placements: NodePlacement[] = [];
  for (const target of targets) {
    const address = nodeAddress(target.node, family);
    if (address === undefined) {
      problems.push({
        vip: name,
        node: target.node.name,
        message: `node ${target.node.name} has no ${familyName(family)} address for VRRP (the VIP is ${familyName(family)})`,
      });
    } else {
      placements.push({ target, address });
    }
  }
  if (problems.length > 0) return { containers: [], problems, warnings };
  return {
    containers: placements.map((p) => buildContainer(vip, p, placements, password)),
    problems,
    warnings,
  };
}

function familyOf(vip: VirtualIP): IpFamily | DesiredStateIssue {
  const families = new Set<IpFamily>();
  for (const [index, text] of vip.spec.addresses.entries()) {
    const parsed = parseIpCidr(text);
    if (!parsed) {
      return {
        vip: vip.metadata.name,
        path: `/spec/addresses/${index}`,
        message: `not an IP address or CIDR: ${text}`,
      };
    }
    families.add(parsed.family);
  }
  const [family, ...others] = [...families];
  if (family === undefined || others.length > 0) {
    return {
      vip: vip.metadata.name,
      path: '/spec/addresses',
      message: 'addresses must be all IPv4 or all IPv6',
    };
  }
  return family;
}

// keepalived reads auth_pass as one token: white space would split it, # and ! start comments,
// and a quote would start a quoted string.
const SAFE_PASSWORD = /^[\x21-\x7e]+$/;
const UNSAFE_PASSWORD_CHARS = /[#!"]/;

function checkPassword(
  vip: VirtualIP,
  passwords: ReadonlyMap<string, string>,
  problems: DesiredStateIssue[],
): string | undefined {
  if (!vip.spec.authentication) return undefined;
  const name = vip.metadata.name;
  const path = '/spec/authentication';
  const problem = (message: string): undefined => {
    problems.push({ vip: name, path, message });
    return undefined;
  };
  if (vrrpVersionOf(vip.spec) === 3) {
    return problem(
      'authentication needs VRRPv2, but IPv6 addresses or a fractional advertInterval need VRRPv3 (which has none)',
    );
  }
  const password = passwords.get(name);
  if (password === undefined || password === '')
    return problem('the VRRP password could not be read (empty or missing)');
  if (password.length > MAX_PASSWORD_LENGTH) {
    return problem(
      `the VRRP password has ${password.length} characters; VRRP PASS takes at most ${MAX_PASSWORD_LENGTH}`,
    );
  }
  if (!SAFE_PASSWORD.test(password) || UNSAFE_PASSWORD_CHARS.test(password)) {
    return problem('the VRRP password may only hold printable ASCII other than space, #, ! and "');
  }
  return password;
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
  const command = containerCommand(
    vip.spec.interface === undefined ? { resolveInterfaceOf: self.address } : {},
  );
  const hash = specHash({ image, command, files });
  return {
    vip: name,
    node: self.target.node.name,
    name: containerNameOf(name),
    image,
    labels: { [LABEL_MANAGED]: 'true', [LABEL_VIP]: name, [LABEL_SPEC_HASH]: hash },
    command,
    files,
    specHash: hash,
    priority: self.target.priority,
    addresses: vip.spec.addresses.map(canonicalVip),
  };
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
