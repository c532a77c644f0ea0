/**
 * `reconciler import`, the pure part: from hand-run `osixia/keepalived` containers (the seed
 * recipe, configured by KEEPALIVED_* environment variables) to equivalent VirtualIP manifests.
 *
 * The environment is hostile input: every value is checked against the grammar of where it lands
 * (an address, a number in range, an interface name, an image reference); anything else is a
 * problem naming the container and variable, with the value escaped and cut short. The VRRP
 * password never enters this module: the adapter passes only whether one is set, its length and a
 * fingerprint to compare containers with.
 *
 * What the recipe's image does with the variables (osixia/keepalived 2.0.20): one vrrp_instance,
 * state BACKUP, `nopreempt`, advert_int 1 (VRRPv2), PASS authentication; a list value is either
 * words separated by spaces or `#PYTHON2BASH:['a', 'b']`; unset variables take the image's
 * defaults (interface eth0, priority 150, router id 51, password d0cker).
 */
import { compareStrings } from './compare-strings.js';
import { canonicalAddress, parseIpAddress } from './ip-address.js';
import { DEFAULT_PASSWORD_ENV_PREFIX, passwordEnvFor } from './password-rules.js';

/** One hand-run keepalived container, as the adapter read it (password reduced to facts). */
export interface HandRunKeepalived {
  node: string;
  container: string;
  image: string;
  running: boolean;
  /** Its KEEPALIVED_* variables except KEEPALIVED_PASSWORD. */
  env: Readonly<Record<string, string>>;
  password: { set: false } | { set: true; length: number; fingerprint: string };
}

/** A VirtualIP manifest as plain data, ready to be written as YAML. */
export interface ImportedVirtualIP {
  apiVersion: 'swarm-vip/v1';
  kind: 'VirtualIP';
  metadata: { name: string };
  spec: {
    addresses: string[];
    virtualRouterId: number;
    interface: string;
    advertInterval: number;
    authentication: { passwordEnv: string };
    image?: string;
    nodes: { name: string; priority: number }[];
  };
}

export interface ImportedVip {
  manifest: ImportedVirtualIP;
  /** The containers it replaces, `container on node`. */
  from: string[];
  /** What the operator must know or do (never a secret). */
  notes: string[];
}

export interface ImportProblem {
  node: string;
  container: string;
  message: string;
}

export interface ImportOptions {
  /**
   * The reconciler's `--password-env-prefix`: each VIP's `passwordEnv` is this prefix and its
   * name, so the daemon admits what import writes.
   */
  passwordEnvPrefix: string;
}

export interface ImportResult {
  vips: ImportedVip[];
  problems: ImportProblem[];
}

/** The image the recipe runs; a VirtualIP without `image` uses it too. */
export const RECIPE_IMAGE = 'osixia/keepalived:2.0.20';
const DEFAULTS = { interface: 'eth0', priority: 150, routerId: 51 } as const;
const MAX_VALUE_LENGTH = 4096;
const MAX_LIST_ITEMS = 20;
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;
// A Docker image reference: lowercase path components, optional tag and digest.
const IMAGE_REF =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** A value as it may be shown: control characters escaped, at most 80 characters. */
export function shown(value: string): string {
  const escaped = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return escaped.replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The items of a recipe list: `#PYTHON2BASH:['a', "b"]` or words separated by white space. */
export function parseRecipeList(value: string): { items: string[] } | { error: string } {
  if (value.length > MAX_VALUE_LENGTH) return { error: `longer than ${MAX_VALUE_LENGTH} characters` };
  const python = /^#PYTHON2BASH:\s*\[(.*)\]\s*$/s.exec(value);
  let items: string[];
  if (python) {
    const body = python[1] ?? '';
    const item = /\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*(,|$)/gy;
    items = [];
    let match: RegExpExecArray | null;
    let end = 0;
    while (end < body.length && (match = item.exec(body)) !== null) {
      items.push(match[1] ?? match[2] ?? '');
      end = item.lastIndex;
      if (match[3] !== ',') break;
    }
    if (end < body.trimEnd().length)
      return { error: "not a list of quoted strings, like #PYTHON2BASH:['198.51.100.7']" };
  } else if (value.startsWith('#')) {
    return { error: 'only #PYTHON2BASH:[...] lists are understood' };
  } else {
    items = value.split(/\s+/).filter(Boolean);
  }
  if (items.length > MAX_LIST_ITEMS) return { error: `more than ${MAX_LIST_ITEMS} items` };
  return { items };
}

/** `ADDRESS` or `ADDRESS/PREFIX`, canonical, always with a prefix (keepalived's default: one address). */
function parseVirtualAddress(item: string): { cidr: string; family: 4 | 6 } | undefined {
  const match = /^([0-9A-Fa-f.:]+)(?:\/(\d{1,3}))?$/.exec(item);
  const parsed = match?.[1] ? parseIpAddress(match[1]) : undefined;
  if (!parsed) return undefined;
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  const prefix = match?.[2] === undefined ? (family === 4 ? 32 : 128) : Number(match[2]);
  if (prefix < 1 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { cidr: `${canonicalAddress(parsed)}/${prefix}`, family };
}

function integerIn(
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,3}$/.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return number >= min && number <= max ? number : undefined;
}

interface Settings {
  addresses: string[];
  routerId: number;
  priority: number;
  interface: string;
}

type Parsed = { ok: true; settings: Settings } | { ok: false; message: string };

function parseSettings(env: Readonly<Record<string, string>>): Parsed {
  const fail = (message: string): Parsed => ({ ok: false, message });
  const ips = env['KEEPALIVED_VIRTUAL_IPS'];
  if (ips === undefined)
    return fail('KEEPALIVED_VIRTUAL_IPS is not set (the image would use its sample addresses): not imported');
  const list = parseRecipeList(ips);
  if ('error' in list) return fail(`KEEPALIVED_VIRTUAL_IPS ${shown(ips)}: ${list.error}`);
  const addresses = list.items.map((item) => ({ item, parsed: parseVirtualAddress(item) }));
  const bad = addresses.find((a) => !a.parsed);
  if (bad)
    return fail(`KEEPALIVED_VIRTUAL_IPS: ${shown(bad.item)} is not an IP address (optionally /prefix)`);
  if (addresses.length === 0) return fail('KEEPALIVED_VIRTUAL_IPS names no address');
  if (new Set(addresses.map((a) => a.parsed?.family)).size > 1)
    return fail('KEEPALIVED_VIRTUAL_IPS mixes IPv4 and IPv6; a VirtualIP holds one family');
  const routerId = integerIn(env['KEEPALIVED_ROUTER_ID'], DEFAULTS.routerId, 1, 255);
  if (routerId === undefined)
    return fail(`KEEPALIVED_ROUTER_ID ${shown(env['KEEPALIVED_ROUTER_ID'] ?? '')}: expected 1..255`);
  const priority = integerIn(env['KEEPALIVED_PRIORITY'], DEFAULTS.priority, 1, 254);
  if (priority === undefined)
    return fail(`KEEPALIVED_PRIORITY ${shown(env['KEEPALIVED_PRIORITY'] ?? '')}: expected 1..254`);
  const iface = env['KEEPALIVED_INTERFACE'] ?? DEFAULTS.interface;
  if (!INTERFACE.test(iface)) return fail(`KEEPALIVED_INTERFACE ${shown(iface)}: not an interface name`);
  const cidrs = [...new Set(addresses.map((a) => a.parsed?.cidr ?? ''))].sort(compareStrings);
  return { ok: true, settings: { addresses: cidrs, routerId, priority, interface: iface } };
}

/** A DNS-label name from the first address: 198.51.100.7/32 → vip-198-51-100-7. */
export function vipNameFor(cidr: string): string {
  const address = cidr.split('/')[0] ?? cidr;
  return `vip-${address.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '').slice(0, 63);
}

interface Member {
  from: HandRunKeepalived;
  settings: Settings;
}

function passwordNotes(members: readonly Member[], env: string): string[] {
  const sets = members.map((m) => m.from.password);
  const fingerprints = new Set(sets.map((p) => (p.set ? p.fingerprint : 'image default')));
  const notes: string[] = [];
  if (fingerprints.size > 1)
    notes.push(
      'the hand-run containers use different VRRP passwords, so they never formed one group; ' +
        `choose one for ${env}`,
    );
  const example = members.find((m) => m.from.password.set)?.from;
  notes.push(
    example
      ? `set ${env} in the reconciler's environment to the hand-run password (KEEPALIVED_PASSWORD of ` +
          `${example.container} on ${example.node}, e.g. docker inspect); it is not written here`
      : `no KEEPALIVED_PASSWORD was set: the hand-run containers use osixia/keepalived's default ` +
          `password (see its README); set ${env} to it for the migration, and change it afterwards`,
  );
  if (sets.some((p) => p.set && p.length > 8))
    notes.push(`VRRPv2 uses only the first 8 characters of the password: set ${env} to those`);
  return notes;
}

function imageOf(members: readonly Member[]): { image?: string; note?: string } {
  const images = [...new Set(members.map((m) => m.from.image))];
  const [image] = images;
  if (images.length !== 1 || image === undefined)
    return {
      note: `the hand-run containers run different images (${images.map(shown).join(', ')}); using the default`,
    };
  if (image === RECIPE_IMAGE) return {};
  if (!IMAGE_REF.test(image) || image.length > 255)
    return { note: `image ${shown(image)} is not an image reference; using the default` };
  return { image };
}

function buildVip(
  members: Member[],
  options: ImportOptions,
): { vip?: ImportedVip; problems: ImportProblem[] } {
  const first = members[0] as Member;
  const name = vipNameFor(first.settings.addresses[0] ?? '');
  const problems: ImportProblem[] = [];
  const byNode = new Map<string, Member>();
  for (const member of members) {
    if (byNode.has(member.from.node)) {
      problems.push({
        node: member.from.node,
        container: member.from.container,
        message: `a second hand-run keepalived for ${first.settings.addresses.join(', ')} on this node; left out`,
      });
    } else byNode.set(member.from.node, member);
  }
  const kept = [...byNode.values()].sort((a, b) => compareStrings(a.from.node, b.from.node));
  const notes: string[] = [
    'the recipe renders nopreempt; this VirtualIP preempts (the default), so the highest priority holds the address — add `preempt: false` to keep the old behaviour',
  ];
  const interfaces = new Set(kept.map((m) => m.settings.interface));
  if (interfaces.size > 1)
    notes.push(
      `the nodes use different interfaces (${[...interfaces].join(', ')}); using ${first.settings.interface}`,
    );
  // The variable the operator sets for the reconciler: named so that the daemon's own rule admits it.
  const env = passwordEnvFor(name, options.passwordEnvPrefix);
  notes.push(...passwordNotes(kept, env));
  const { image, note } = imageOf(kept);
  if (note) notes.push(note);
  const stopped = kept.filter((m) => !m.from.running);
  if (stopped.length > 0)
    notes.push(`not running: ${stopped.map((m) => `${m.from.container} on ${m.from.node}`).join(', ')}`);
  return {
    problems,
    vip: {
      manifest: {
        apiVersion: 'swarm-vip/v1',
        kind: 'VirtualIP',
        metadata: { name },
        spec: {
          addresses: first.settings.addresses,
          virtualRouterId: first.settings.routerId,
          interface: first.settings.interface,
          // The recipe's VRRPv2 at one second: the new containers must speak with the old ones
          // during the migration.
          advertInterval: 1,
          authentication: { passwordEnv: env },
          ...(image === undefined ? {} : { image }),
          nodes: kept.map((m) => ({ name: m.from.node, priority: m.settings.priority })),
        },
      },
      from: kept.map((m) => `${m.from.container} on ${m.from.node}`),
      notes,
    },
  };
}

/**
 * Groups the hand-run containers into VRRP groups (same router id and addresses) and gives one
 * VirtualIP per group; containers that cannot be read come back as problems.
 */
export function importHandRunKeepalived(
  containers: readonly HandRunKeepalived[],
  options: ImportOptions = { passwordEnvPrefix: DEFAULT_PASSWORD_ENV_PREFIX },
): ImportResult {
  const problems: ImportProblem[] = [];
  const groups = new Map<string, Member[]>();
  for (const from of containers) {
    const parsed = parseSettings(from.env);
    if (!parsed.ok) {
      problems.push({ node: from.node, container: from.container, message: parsed.message });
      continue;
    }
    const key = `${parsed.settings.routerId} ${parsed.settings.addresses.join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), { from, settings: parsed.settings }]);
  }
  const vips: ImportedVip[] = [];
  for (const members of groups.values()) {
    const built = buildVip(members, options);
    problems.push(...built.problems);
    if (built.vip) vips.push(built.vip);
  }
  vips.sort((a, b) => compareStrings(a.manifest.metadata.name, b.manifest.metadata.name));
  return { vips, problems };
}
