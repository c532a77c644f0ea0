#!/usr/bin/env node
/**
 * The `reconciler` command line: a thin composition root. Flags (and their SWARM_VIP_*
 * environment variables) are declared and normalised in src/config.ts; each command lives in its
 * own file as a function of its config and injected writers that returns the exit code.
 */
import { Command } from 'commander';
import {
  addAdoptOption,
  addAgentOptions,
  addClusterOptions,
  addGitOptions,
  addOutputOption,
  addPasswordOptions,
  addSourceOptions,
  addRunOptions,
  passwordConfig,
  toAgentConfig,
  toConfig,
} from '../config.js';
import { describeError } from '../errors.js';
import { EXIT, exitCodeHelp } from './exit-codes.js';
import { createLogger } from '../log.js';
import { drainOutput, processIo, tolerateClosedReader } from './io.js';

const io = processIo;
tolerateClosedReader();
let exitCode = 0;

const program = new Command('reconciler')
  .description('Keeps keepalived (VRRP) virtual IPs on Docker Swarm nodes as VirtualIP manifests say.')
  .enablePositionalOptions()
  .showHelpAfterError()
  .addHelpText('after', `\n${exitCodeHelp()}`);

addAdoptOption(addRunOptions(addClusterOptions(program))).action(async (raw: Record<string, unknown>) => {
  const config = toConfig(raw);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  // Commands load on demand: a cron run should not pay for what it does not use.
  const { runCommand } = await import('./run-command.js');
  exitCode = await runCommand(config, config.once, log, io);
});

addPasswordOptions(program.command('validate'))
  .description(
    "check every manifest in DIR, against the reconciler's password rules too; print each problem as file:line:col  path  message",
  )
  .argument(
    '[dir]',
    'manifest directory (env SWARM_VIP_MANIFESTS)',
    process.env['SWARM_VIP_MANIFESTS'] ?? 'manifests',
  )
  .action(async (dir: string, raw: Record<string, unknown>) => {
    const { validateCommand } = await import('./validate-command.js');
    exitCode = await validateCommand({ dir, passwords: passwordConfig(raw) }, io);
  });

addGitOptions(addAdoptOption(addOutputOption(addClusterOptions(program.command('plan')))))
  .description(
    `show what a pass would do, changing nothing (exit ${EXIT.plan.noChanges} nothing to do, ${EXIT.plan.changesPending} changes pending, ${EXIT.plan.error} error)`,
  )
  .action(async (raw: Record<string, unknown>) => {
    const config = toConfig(raw);
    const { planCommand } = await import('./plan-command.js');
    exitCode = await planCommand(config, createLogger({ level: 'warn', format: config.logFormat }), io);
  });

addClusterOptions(program.command('import'))
  .description(
    'write VirtualIP (and NodeEndpoint) manifests equivalent to the hand-run osixia/keepalived containers on the nodes',
  )
  .option('--out <dir>', 'write the manifests here (never over an existing file); default stdout')
  .action(async (raw: Record<string, unknown>) => {
    const config = toConfig(raw);
    const { importCommand } = await import('./import-command.js');
    const outDir = typeof raw.out === 'string' ? raw.out : undefined;
    exitCode = await importCommand(
      config,
      { outDir },
      createLogger({ level: 'warn', format: config.logFormat }),
      io,
    );
  });

addSourceOptions(addOutputOption(addClusterOptions(program.command('status'))))
  .description('per VIP and node: container, spec hash, VRRP state, who holds the address')
  .action(async (raw: Record<string, unknown>) => {
    const config = toConfig(raw);
    const { statusCommand } = await import('./status-command.js');
    exitCode = await statusCommand(config, createLogger({ level: 'warn', format: config.logFormat }), io);
  });

addAgentOptions(program.command('agent'))
  .description(
    "serve this node's Docker engine to the reconciler over mutual TLS: only the calls it needs, on managed containers",
  )
  .action(async (raw: Record<string, unknown>) => {
    const config = toAgentConfig(raw);
    const { agentCommand } = await import('./agent-command.js');
    exitCode = await agentCommand(config, createLogger({ level: config.logLevel, format: config.logFormat }));
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Never a stack trace: whatever escaped is reported in one line.
  io.stderr(`error: ${describeError(error)}`);
  exitCode = EXIT.run.failed;
}
// Exit only once stdout and stderr are drained: thousands of problems piped into `head` or a
// CI log must arrive whole, summary included.
await drainOutput();
process.exit(exitCode);
