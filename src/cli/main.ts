#!/usr/bin/env node
/**
 * The `reconciler` command line: a thin composition root. Each subcommand lives in its own
 * file as a function of its arguments and injected writers that returns the exit code.
 */
import { Command } from 'commander';
import { validateCommand } from './validate-command.js';

const io = {
  stdout: (line: string) => process.stdout.write(`${line}\n`),
  stderr: (line: string) => process.stderr.write(`${line}\n`),
};

let exitCode = 0;
const program = new Command('reconciler')
  .description('Keeps keepalived (VRRP) virtual IPs on Docker Swarm nodes as VirtualIP manifests say.')
  .showHelpAfterError();

program
  .command('validate')
  .description('check every manifest in DIR; print each problem as file:line:col  path  message')
  .argument(
    '[dir]',
    'manifest directory (env SWARM_VIP_MANIFESTS)',
    process.env['SWARM_VIP_MANIFESTS'] ?? 'manifests',
  )
  .action(async (dir: string) => {
    exitCode = await validateCommand({ dir }, io);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Never a stack trace: whatever escaped is reported in one line.
  io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
}
process.exit(exitCode);
