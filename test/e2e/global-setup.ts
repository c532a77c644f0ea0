/**
 * Global setup of the e2e project: brings the test cluster up (reusing a healthy one), hands its
 * description to the tests (`inject('cluster')`), and afterwards tears it down and fails the run
 * if anything of it is left: a namespace, a process, a mount or a cgroup.
 *
 * SWARM_VIP_TB_KEEP=1 leaves the cluster running after the tests, for quick reruns by hand.
 */
import type { TestProject } from 'vitest/node';
import type { ClusterDescription } from '../cluster/description.js';
import { down } from '../cluster/down.js';
import { ClusterError } from '../cluster/errors.js';
import { findLeftovers } from '../cluster/leftovers.js';
import { optionsFromEnv } from '../cluster/options.js';
import { up } from '../cluster/up.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterDescription;
  }
}

function log(message: string): void {
  console.log(`[e2e cluster] ${message}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const options = optionsFromEnv();
  const cluster = await up(options, log);
  project.provide('cluster', cluster);

  return async () => {
    if (process.env.SWARM_VIP_TB_KEEP === '1') {
      log('SWARM_VIP_TB_KEEP=1: leaving the cluster up');
      return;
    }
    const inodes = [cluster.hub.netnsInode, ...cluster.nodes.map((node) => node.netnsInode)];
    const report = await down(options, log);
    const leftovers = [...report.problems, ...(await findLeftovers(options, inodes))];
    if (leftovers.length > 0) {
      // Vitest prints an error thrown here but still exits 0; the exit code must say it too.
      process.exitCode = 1;
      throw new ClusterError(
        'leftovers',
        `the test cluster left things behind after down:\n  ${leftovers.join('\n  ')}\n` +
          'run `npm run cluster:down` and check again',
      );
    }
    log('down left nothing behind');
  };
}
