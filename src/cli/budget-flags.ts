/** Flags shared by the simulating commands; light enough for the CLI entry point to import. */
import type { Command } from 'commander';
import { DEFAULT_BUDGET, fmtCount } from '../sim/budget.js';

/** The commander options every simulating command takes: work budgets and istioFiles scope. */
export function withBudgetOptions(cmd: Command): Command {
  return cmd
    .option('--max-requests <n>', `calls a run may make, every hop and retry counted (default ${fmtCount(DEFAULT_BUDGET.maxRequests)})`)
    .option('--max-events <n>', `simulator events a run may take (default ${fmtCount(DEFAULT_BUDGET.maxEvents)})`)
    .option(
      '--max-in-flight <n>',
      `calls in flight at once before a run is stopped as overloaded (default ${fmtCount(DEFAULT_BUDGET.maxInFlight)})`,
    )
    .option('--allow-outside-files', 'let spec.istioFiles name files outside the scenario directory');
}
