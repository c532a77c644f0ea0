/**
 * `reconciler import`: reads the hand-run keepalived containers (the osixia/keepalived recipe) on
 * every node and writes the equivalent VirtualIP manifests — plus the NodeEndpoints they need when
 * the nodes come from a manifest directory — ready for `validate`, `plan --adopt` and
 * `--once --adopt`. Without `--out` the manifests go to stdout.
 */
import { writeFile, mkdir, access } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../config.js';
import {
  importHandRunKeepalived,
  shown,
  type HandRunKeepalived,
  type ImportedVip,
} from '../core/import-keepalived.js';
import type { LoadedNodeEndpoint } from '../core/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseSnapshot } from '../manifest/parse-manifests.js';
import type { NodeRuntime } from '../ports.js';
import { composePassDeps } from './compose.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';

export interface ImportOptions {
  /** Where to write the manifests; stdout when absent. */
  outDir: string | undefined;
}

interface Output {
  file: string;
  text: string;
}

function vipFile(vip: ImportedVip): Output {
  const header = [
    `Imported by \`reconciler import\` from hand-run keepalived: ${vip.from.join(', ')}.`,
    ...vip.notes.map((note) => `NOTE: ${note}`),
  ]
    .map((line) => line.replace(/[^\x20-\x7e]/g, '?'))
    .map((line) => `# ${line}`)
    .join('\n');
  return { file: `${vip.manifest.metadata.name}.yaml`, text: `${header}\n${stringify(vip.manifest)}` };
}

function endpointFile(loaded: LoadedNodeEndpoint): Output {
  const { apiVersion, kind, metadata, spec } = loaded.manifest;
  return {
    file: `node-${metadata.name}.yaml`,
    text: `# Copied by \`reconciler import\` from ${path.basename(loaded.origin.file)}\n${stringify({ apiVersion, kind, metadata, spec })}`,
  };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Writes every file, none over an existing one; returns the files it refused. */
async function writeAll(dir: string, outputs: readonly Output[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const taken: string[] = [];
  for (const output of outputs) {
    const file = path.join(dir, output.file);
    if (await exists(file)) taken.push(file);
    else await writeFile(file, output.text, { flag: 'wx' });
  }
  return taken;
}

/** Every node's hand-run keepalived; a node that cannot be read is reported and counted. */
async function readHandRun(
  nodes: readonly { name: string }[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  io: CommandIo,
): Promise<{ found: HandRunKeepalived[]; unreadable: number }> {
  const found: HandRunKeepalived[] = [];
  let unreadable = 0;
  for (const node of nodes) {
    const runtime = runtimes.get(node.name);
    try {
      if (!runtime?.handRunKeepalived) throw new Error('no Docker endpoint');
      found.push(...(await runtime.handRunKeepalived()));
    } catch (error) {
      unreadable += 1;
      io.stderr(`${node.name}: cannot read its containers: ${describeError(error)}`);
    }
  }
  return { found, unreadable };
}

/** From a manifest directory the nodes' endpoints travel along, unless they would land beside themselves. */
function endpointsToCopy(
  config: Config,
  outDir: string | undefined,
  vips: readonly ImportedVip[],
  all: readonly LoadedNodeEndpoint[],
) {
  const involved = new Set(vips.flatMap((vip) => vip.manifest.spec.nodes.map((n) => n.name)));
  const sameDir = outDir !== undefined && path.resolve(outDir) === path.resolve(config.manifestsDir);
  return config.swarmUrl || sameDir ? [] : all.filter((e) => involved.has(e.manifest.metadata.name));
}

export async function importCommand(
  config: Config,
  options: ImportOptions,
  log: Logger,
  io: CommandIo,
): Promise<number> {
  const deps = composePassDeps(config, log);
  const manifests = parseSnapshot(await deps.manifests.snapshot());
  const { nodes, runtimes } = await deps.directory.nodes(manifests);
  const { found, unreadable } = await readHandRun(nodes, runtimes, io);
  const result = importHandRunKeepalived(found, { passwordEnvPrefix: config.passwords.envPrefix });
  for (const problem of result.problems)
    io.stderr(`${problem.node}: ${shown(problem.container)}: ${problem.message}`);
  const endpoints = endpointsToCopy(config, options.outDir, result.vips, manifests.endpoints);
  const outputs = [...result.vips.map(vipFile), ...endpoints.map(endpointFile)];
  let taken: string[] = [];
  if (options.outDir === undefined) io.stdout(outputs.map((o) => o.text).join('---\n'));
  else {
    taken = await writeAll(options.outDir, outputs);
    for (const file of taken) io.stderr(`${file} exists: not overwritten`);
    for (const output of outputs) {
      const file = path.join(options.outDir, output.file);
      if (!taken.includes(file)) io.stderr(`wrote ${file}`);
    }
  }
  for (const vip of result.vips)
    for (const note of vip.notes) io.stderr(`${vip.manifest.metadata.name}: ${note}`);
  if (found.length === 0) io.stderr('no hand-run keepalived found');
  const complete = unreadable === 0 && result.problems.length === 0 && taken.length === 0;
  return complete ? EXIT.import.imported : EXIT.import.incomplete;
}
