/**
 * What each Docker call costs the simulator, in ms: medians measured on the real test cluster by
 * `npm run bench` (bench/real-cluster-bench.ts, "Docker operations"), so a simulated create costs
 * what a real one does. Re-measure and update them when the machine or the engine changes; the
 * bench prints the fresh medians beside these.
 */
export interface OperationCosts {
  /** listContainers (all) on one node. */
  listMs: number;
  /** createContainer of a keepalived container as the reconciler requests it. */
  createMs: number;
  /** putArchive of its rendered files. */
  putArchiveMs: number;
  /** start, then the inspect that checks it runs. */
  startMs: number;
  /** stop (SIGTERM, keepalived leaves VRRP). */
  stopMs: number;
  /** remove of the stopped container. */
  removeMs: number;
  /** one docker exec probe (VRRP state and addresses). */
  probeMs: number;
}

/** Measured on the 3-node test cluster (2 cores, shared), 2026-12-01; see BENCHMARKS.md. */
export const MEASURED_COSTS: OperationCosts = {
  listMs: 12,
  createMs: 60,
  putArchiveMs: 20,
  startMs: 180,
  stopMs: 1100,
  removeMs: 30,
  probeMs: 80,
};
