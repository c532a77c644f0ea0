import { NOTIFY_SCRIPT_PATH, STATE_FILE_PATH } from './container-layout.js';
import { canonicalAddress, parseIpAddress } from './ip-address.js';
import { shellQuote } from './shell-quote.js';

/** Exit code of the removal command when it found keepalived MASTER and removed nothing. */
export const REMOVAL_SKIPPED_MASTER = 3;

/** Prefix of each line the removal command prints for an address it removed. */
export const REMOVED_LINE = 'removed ';

/**
 * argv that removes `addresses` from whichever interfaces of the node carry them (run with the
 * node's network, inside a managed container — the VIP's own or another VIP's on the same node —
 * or a short-lived helper container; busybox or iproute2 `ip` and `awk`). Prints
 * `removed <cidr> <interface>` per address removed.
 *
 * With `unlessMaster` (run inside the VIP's own container) it first reads keepalived's state and
 * leaves everything alone when keepalived has become MASTER since the decision was taken: then
 * the address is rightfully there. Another VIP's container knows nothing of this VIP's keepalived:
 * run there without it. Inside a managed container it ends by reporting the node's addresses
 * afresh (notify.sh report, into that container's log), so the reconciler sees the result at once.
 *
 * @throws Error when an address is not a plain IP address (they come from the manifests, which
 *   validation checked; this keeps anything else out of the shell).
 */
export function addressRemovalCommand(
  addresses: readonly string[],
  options: { unlessMaster: boolean },
): string[] {
  const lines = [
    ...(options.unlessMaster
      ? [`if [ "$(cat ${STATE_FILE_PATH} 2>/dev/null)" = MASTER ]; then exit ${REMOVAL_SKIPPED_MASTER}; fi`]
      : []),
    ...addressRemovalLines(addresses),
    `if [ -x ${NOTIFY_SCRIPT_PATH} ]; then ${NOTIFY_SCRIPT_PATH} report; fi`,
    'exit 0',
  ];
  return ['sh', '-c', lines.join('\n')];
}

/**
 * Shell lines that remove `addresses` from whichever interfaces of the node carry them, printing
 * `<linePrefix><cidr> <interface>` per address removed. They never fail (under `set -e` too): an
 * address that is gone already, or an `ip` that cannot list, leaves nothing to do.
 *
 * @throws Error when an address is not a plain IP address (see {@link addressRemovalCommand}).
 */
export function addressRemovalLines(addresses: readonly string[], linePrefix = REMOVED_LINE): string[] {
  if (addresses.length === 0) return [];
  const wanted = addresses.map((text) => {
    const parsed = parseIpAddress(text);
    if (!parsed) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
    return shellQuote(canonicalAddress(parsed));
  });
  return [
    `for want in ${wanted.join(' ')}; do`,
    // Field 2 is the interface (veth names carry an @peer suffix), field 4 address/prefix.
    `  { ip -o addr show || :; } | awk -v want="$want" '{ split($4, a, "/"); if (a[1] == want) { sub(/@.*/, "", $2); print $2, $4 } }' |`,
    '    while read -r dev cidr; do',
    `      if ip addr del "$cidr" dev "$dev"; then echo "${linePrefix}$cidr $dev"; fi`,
    '    done',
    'done',
  ];
}
