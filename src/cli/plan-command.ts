import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { readWorld } from '../loop/pass.js';
import { composePassDeps } from './compose.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';
import { claimView, planStepView, planText } from './render-plan.js';
import { describeClaim } from '../core/foreign-claims.js';

/**
 * `reconciler plan`: what a pass would do, changing nothing.
 * Exit 0 nothing to do, 2 changes pending, 1 error (invalid manifests, an unreachable node, or a
 * VIP blocked by an unmanaged keepalived claiming its address).
 */
export async function planCommand(config: Config, log: Logger, io: CommandIo): Promise<number> {
  const world = await readWorld(composePassDeps(config, log));
  const unreachable = world.actual.nodes.filter((n) => !n.reachable);
  const blocked = config.adopt ? [] : world.claims;
  if (config.output === 'json') {
    const view = {
      actions: world.plan.map(planStepView),
      problems: world.problems,
      unreachable: unreachable.map((n) => ({ node: n.node, error: n.reachable ? '' : n.error })),
      claims: world.claims.map(claimView),
    };
    io.stdout(JSON.stringify(view, null, 2));
  } else {
    io.stdout(
      planText({
        actions: world.plan,
        problems: world.problems,
        nodes: world.actual.nodes,
        desired: world.desired,
        blockedVips: new Set(blocked.map((claim) => claim.vip)).size,
      }),
    );
    for (const claim of blocked) io.stdout(describeClaim(claim));
  }
  if (world.problems.length > 0 || unreachable.length > 0 || blocked.length > 0) return EXIT.plan.error;
  return world.plan.length > 0 ? EXIT.plan.changesPending : EXIT.plan.noChanges;
}
