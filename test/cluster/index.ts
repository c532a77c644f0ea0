/** The test cluster's API for tests and tools: one import for the reader, helpers and constants. */
export {
  KEEPALIVED_TEST_IMAGE,
  managerOf,
  nodeByName,
  nodeNames,
  readCluster,
  type ClusterDescription,
  type ClusterNodeDescription,
} from './description.js';
export { ClusterError, type ClusterErrorCode } from './errors.js';
export {
  addressesOf,
  cutLink,
  dockerOf,
  holderOf,
  holdersOf,
  inNode,
  optionsOf,
  restoreLink,
  startNodeDockerd,
  stopNodeDockerd,
  waitFor,
  type WaitForOptions,
} from './helpers.js';
export { startKeepalived, stopAndRemove, unicastConfig, type VrrpInstanceSpec } from './keepalived.js';
export { findLeftovers } from './leftovers.js';
export { down } from './down.js';
export { keepalivedPids } from './processes.js';
export { up } from './up.js';
export { optionsFromEnv, resolveOptions, type ClusterOptions } from './options.js';
export { ENDPOINT_LABEL } from './swarm.js';
export {
  HolderWatch,
  firstHeldAlone,
  type HolderChange,
  type HolderGap,
  type HolderReport,
} from './holder-watch.js';
export {
  NODE_BASE_IMAGE,
  RECONCILER_TEST_IMAGE,
  buildReconcilerImage,
  copyImage,
  ensureNodeBase,
} from './reconciler-image.js';
export { run, type RunOptions, type RunResult } from './exec.js';
