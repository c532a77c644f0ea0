import type { ManifestProblem } from '../types.js';

/** A problem and the manifest it disqualifies, so the caller can leave that manifest out. */
export interface Finding {
  problem: ManifestProblem;
  /** Name of the VirtualIP the problem invalidates. */
  vip?: string;
  /** Name of the NodeEndpoint the problem invalidates. */
  endpoint?: string;
}
