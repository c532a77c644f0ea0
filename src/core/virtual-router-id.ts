import type { VirtualIP } from './types.js';

/**
 * The VRRP virtual router ID of a VIP: its `virtualRouterId`, or one derived from its name.
 * The derivation (FNV-1a, 32 bit, folded into 1..255) is stable across versions and machines,
 * so a restarted reconciler renders the same ID; collisions are caught by validation.
 */
export function virtualRouterIdOf(vip: VirtualIP): number {
  return vip.spec.virtualRouterId ?? deriveVirtualRouterId(vip.metadata.name);
}

export function deriveVirtualRouterId(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 255) + 1;
}
