/**
 * Shell entry: `tsx test/cluster/cli.ts up|down|status [--nodes N] [--managers M]`.
 * Options also come from SWARM_VIP_TB_PREFIX, SWARM_VIP_TB_STATE_DIR, SWARM_VIP_TB_SUBNET,
 * SWARM_VIP_TB_NODES and SWARM_VIP_TB_MANAGERS (flags win).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseDescription } from './description.js';
import { down } from './down.js';
import { ClusterError, messageOf } from './errors.js';
import { findLeftovers } from './leftovers.js';
import { descriptionPath, optionsFromEnv, type ClusterOptions } from './options.js';
import { unhealthyReason, up } from './up.js';

const USAGE = 'usage: cli.ts up|down|status [--nodes N] [--managers M]';

function log(message: string): void {
  console.log(`[cluster] ${message}`);
}

async function status(options: ClusterOptions): Promise<number> {
  let text: string | undefined;
  try {
    text = await readFile(descriptionPath(options), 'utf8');
  } catch {
    log(`no cluster.json in ${options.stateDir}`);
  }
  let inodes: number[] = [];
  if (text !== undefined) {
    const description = parseDescription(text, descriptionPath(options));
    inodes = [description.hub.netnsInode, ...description.nodes.map((node) => node.netnsInode)];
    for (const node of description.nodes) {
      log(`${node.name} ${node.role} ${node.ipv4} ${node.ipv6} ${node.dockerUrl} ${node.swarmNodeId}`);
    }
    const reason = await unhealthyReason(options, description);
    log(reason === undefined ? 'healthy' : `not healthy: ${reason}`);
    if (reason !== undefined) return 1;
    return 0;
  }
  const leftovers = await findLeftovers(options, inodes);
  for (const line of leftovers) log(`left behind: ${line}`);
  return leftovers.length > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { nodes: { type: 'string' }, managers: { type: 'string' } },
  });
  const command = positionals[0];
  const overrides: Partial<ClusterOptions> = {};
  if (values.nodes !== undefined) overrides.nodes = Number(values.nodes);
  if (values.managers !== undefined) overrides.managers = Number(values.managers);
  const options = optionsFromEnv(process.env, overrides);
  switch (command) {
    case 'up': {
      const description = await up(options, log);
      for (const node of description.nodes) log(`${node.name} ${node.role} ${node.ipv4} ${node.dockerUrl}`);
      return 0;
    }
    case 'down': {
      const report = await down(options, log);
      const leftovers = await findLeftovers(options);
      for (const line of [...report.problems, ...leftovers]) log(`left behind: ${line}`);
      return report.problems.length + leftovers.length > 0 ? 1 : 0;
    }
    case 'status':
      return status(options);
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof ClusterError ? ` [${error.code}]` : '';
    console.error(`[cluster] error${code}: ${messageOf(error)}`);
    process.exitCode = 1;
  },
);
