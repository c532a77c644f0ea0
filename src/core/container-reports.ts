/**
 * The report lines a managed container prints for the reconciler (see notify-script.ts), and
 * their parser. A line says either keepalived's new VRRP state together with the addresses on
 * the node's interfaces at that moment, or just the addresses, when they changed; or the VRRP
 * priority its keepalived was reloaded with (see priority-reload-command.ts).
 */
import { REPORT_ADDRESSES, REPORT_PRIORITY, REPORT_STATE } from './container-layout.js';
import { canonicalAddress, parseIpAddress } from './ip-address.js';
import { NOTIFY_STATES, type NotifyState } from './notify-script.js';

/** What one report line says. Addresses are canonical, without prefix, de-duplicated. */
export type ContainerReport =
  | { kind: 'state'; state: NotifyState; addresses: string[] }
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'rejected-advert'; instance: string; rejection: AdvertRejection; detail: string }
  | { kind: 'priority'; priority: number };

/** One advert that keepalived dropped, as its log line says. */
export type RejectedAdvert = Extract<ContainerReport, { kind: 'rejected-advert' }>;

/** A dropped advert read back from a container's log, with when it was logged (engine clock). */
export type LoggedRejection = RejectedAdvert & { atMs: number };

/**
 * How long a dropped advert counts as evidence of a foreign VRRP router: it keeps sending, once per
 * advert interval (1 s for a stock keepalived), so one that stopped is forgotten after this.
 */
export const REJECTION_MEMORY_MS = 5000;

/**
 * Why keepalived threw away a VRRP advert for its own virtual_router_id: someone else on the
 * network speaks VRRP with that ID and a different setup. Our own peers are rendered alike, so a
 * rejection points at a foreign VRRP router (or a hand-run keepalived).
 */
export type AdvertRejection = 'authentication' | 'addresses' | 'version' | 'cast' | 'advert-interval';

/** keepalived's own words when it drops an advert (vrrp.c, vrrp_check_packet), by cause. */
const REJECTIONS: readonly { pattern: RegExp; rejection: AdvertRejection }[] = [
  { pattern: /received an invalid passwd|received a \d+ auth, expecting \d+/, rejection: 'authentication' },
  {
    pattern: /received an unexpected ip number count|not present in (?:MASTER advert|received packet)/,
    rejection: 'addresses',
  },
  { pattern: /wrong version\. Received \d+ and expect \d+/, rejection: 'version' },
  { pattern: /Expected (?:mult|un)icast packet but received (?:mult|un)icast packet/, rejection: 'cast' },
  { pattern: /advertisement interval mismatch/, rejection: 'advert-interval' },
];

/** keepalived's line about a dropped advert, or undefined. Its instance is our VIP's name. */
function parseRejection(text: string): ContainerReport | undefined {
  const instance = /\(([a-z0-9-]{1,63})\):? /.exec(text);
  if (!instance?.[1]) return undefined;
  for (const { pattern, rejection } of REJECTIONS) {
    const match = pattern.exec(text);
    if (match) return { kind: 'rejected-advert', instance: instance[1], rejection, detail: match[0] };
  }
  return undefined;
}

/** Bound on one line: a node with thousands of addresses is not a VIP node we can help. */
const MAX_LINE_LENGTH = 64 * 1024;

/** The report in one line of container output, or undefined for any other line. */
export function parseContainerReport(line: string): ContainerReport | undefined {
  if (line.length > MAX_LINE_LENGTH) return undefined;
  const text = line.trimEnd();
  if (text.startsWith(REPORT_ADDRESSES)) {
    const rest = text.slice(REPORT_ADDRESSES.length);
    if (rest !== '' && !rest.startsWith(' ')) return undefined;
    return { kind: 'addresses', addresses: parseAddressList(rest) };
  }
  if (text.startsWith(REPORT_PRIORITY)) {
    const priority = /^([1-9][0-9]{0,2})(?: |$)/.exec(text.slice(REPORT_PRIORITY.length))?.[1];
    return priority !== undefined && Number(priority) <= 254
      ? { kind: 'priority', priority: Number(priority) }
      : undefined;
  }
  if (!text.startsWith(REPORT_STATE)) return parseRejection(text);
  const [state, marker, ...tokens] = text.slice(REPORT_STATE.length).split(' ');
  if (!isNotifyState(state) || marker !== 'addrs') return undefined;
  return { kind: 'state', state, addresses: parseAddressList(tokens.join(' ')) };
}

function isNotifyState(word: string | undefined): word is NotifyState {
  return (NOTIFY_STATES as readonly string[]).includes(word ?? '');
}

/** Dotted quads and /proc/net/if_inet6's 32 hex digits; anything else is skipped. */
function parseAddressList(text: string): string[] {
  const found = new Set<string>();
  for (const token of text.split(' ')) {
    const address = /^[0-9a-f]{32}$/i.test(token) ? (token.match(/.{4}/g) ?? []).join(':') : token;
    const parsed = token === '' ? undefined : parseIpAddress(address);
    if (parsed) found.add(canonicalAddress(parsed));
  }
  return [...found];
}
