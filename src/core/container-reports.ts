/**
 * The report lines a managed container prints for the reconciler (see notify-script.ts), and
 * their parser. A line says either keepalived's new VRRP state together with the addresses on
 * the node's interfaces at that moment, or just the addresses, when they changed.
 */
import { REPORT_ADDRESSES, REPORT_STATE } from './container-layout.js';
import { canonicalAddress, parseIpAddress } from './ip-address.js';
import { NOTIFY_STATES, type NotifyState } from './notify-script.js';

/** What one report line says. Addresses are canonical, without prefix, de-duplicated. */
export type ContainerReport =
  { kind: 'state'; state: NotifyState; addresses: string[] } | { kind: 'addresses'; addresses: string[] };

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
  if (!text.startsWith(REPORT_STATE)) return undefined;
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
