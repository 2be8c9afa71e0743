/** The `meshsim` command line: thin wrappers that parse flags, call the pipeline and print. */
import { withBudgetOptions } from './budget-flags.js';
import { Command, CommanderError } from 'commander';
import { MESHSIM_VERSION } from '../report/version.js';
import { EXIT, reportFailure } from './exit.js';
import type { SweepOptions } from './sweep.js';
import type { CapacityOptions } from './capacity.js';
import type { ImportOptions } from './import.js';

// Each command's module (and what it pulls in: the simulator, zod schemas, Vega for reports) is
// imported only when that command runs, so `meshsim --version` and `--help` start in milliseconds.

/** Whether commander will print help (the only output that lists the modes). */
const wantsHelp = (argv: string[]) => argv.some((a) => a === '--help' || a === '-h' || a === 'help') || argv.length <= 2;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  // The mode registry loads every data plane: only for help text, which is the only place it shows.
  const MODE_NAMES = wantsHelp(argv) ? (await import('../modes/registry.js')).MODE_NAMES : ['none', 'sidecar', 'ambient', '…'];
  const program = new Command('meshsim')
    .description('Deterministic discrete-event simulator of a Kubernetes cluster running a service mesh')
    .version(MESHSIM_VERSION)
    .exitOverride()
    .showHelpAfterError('(run meshsim --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('simulate one scenario and write results.json and events.jsonl')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <n>', 'random seed (overrides spec.seed)')
    .option('--mode <mode>', `mesh mode: ${MODE_NAMES.join(', ')} (overrides spec.mesh.mode)`)
    .option('--duration <d>', 'simulated duration, e.g. 60s (overrides spec.duration)')
    .option('--epoch <iso>', 'wall-clock instant of simulated t=0 for timestamps', '2026-01-01T00:00:00Z')
    .option('--out <dir>', 'output directory (default reports/<scenario>[-<mode>])')
    .option('--json', 'print results.json to stdout instead of the summary')
    .option('--outputs <list>', 'files to write: results, report, metrics, traces, events, access-log, or all (default all)')
    .option('--quiet', 'print no summary and no progress bar (warnings and errors still go to stderr)')
    .action(async (file: string, opts: Record<string, string | boolean | undefined>) => {
      code = await (await import('./run.js')).runCommand(file, opts);
    });

  program
    .command('compare')
    .description('run the same scenario and seed once per mode (common random numbers) and compare')
    .argument('<scenario>', 'scenario YAML file')
    .option('--modes <list>', 'comma-separated modes', 'none,sidecar,ambient')
    .option('--seed <n>', 'random seed (overrides spec.seed)')
    .option('--duration <d>', 'simulated duration (overrides spec.duration)')
    .option('--out <dir>', 'output directory (default reports/<scenario>-compare)')
    .option('--json', 'print comparison.json to stdout instead of the table')
    .option('--quiet', 'print no table and no progress bar')
    .action(async (file: string, opts: Record<string, string | boolean | undefined>) => {
      code = await (await import('./compare.js')).compareCommand(file, opts);
    });

  program
    .command('sweep')
    .description('a grid of runs: every combination of --set values, for each seed')
    .argument('<scenario>', 'scenario YAML file')
    .option(
      '--set <path=v1,v2>',
      'a scenario field and the values to try, e.g. spec.workload[0].rate=100,200 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--seeds <k>', 'seeds per point, from spec.seed upwards', '1')
    .option('--workers <w>', 'worker threads (default: one per CPU)')
    .option('--shard <i/n>', 'run only shard i of n (1-based); join the outputs with merge')
    .option('--duration <d>', 'simulated duration of each run (overrides spec.duration)')
    .option('--out <dir>', 'output directory (default reports/<scenario>-sweep)')
    .option('--quiet', 'print no table and no progress bar')
    .option('--k8s-job <dir>', 'write the sweep as Kubernetes manifests (Indexed Job, ConfigMap, merge Job) into DIR instead of running it')
    .option('--k8s-shards <n>', 'with --k8s-job: shards, one pod each (default: points, at most 10)')
    .option('--k8s-image <image>', 'with --k8s-job: the meshsim image (build it from the Dockerfile)')
    .option('--k8s-namespace <ns>', 'with --k8s-job: namespace of the objects')
    .action(async (file: string, opts: SweepOptions) => {
      code = await (await import('./sweep.js')).sweepCommand(file, opts);
    });

  program
    .command('capacity')
    .description('the highest rate, or the fewest replicas or nodes, that meets an SLO (bracketing + bisection over whole runs)')
    .argument('<scenario>', 'scenario YAML file')
    .option('--vary <what>', 'rate | replicas:SERVICE | nodes')
    .option('--slo <objectives>', "e.g. 'p99<250ms,errors<0.1%' (default: spec.slo)")
    .option('--seeds <k>', 'seeds per point; a point passes only if every seed passes', '1')
    .option('--modes <list>', 'one answer per mesh mode, side by side')
    .option('--workers <w>', 'worker threads (default: one per CPU)')
    .option('--duration <d>', 'simulated duration of each run (overrides spec.duration)')
    .option('--tolerance <f>', 'relative width at which a rate search stops', '0.01')
    .option('--out <dir>', 'output directory (default reports/<scenario>-capacity)')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (file: string, opts: CapacityOptions) => {
      code = await (await import('./capacity.js')).capacityCommand(file, opts);
    });

  program
    .command('merge')
    .description('join the sweep.json of several shards into one sweep')
    .argument('<dirs...>', 'shard output directories')
    .option('--out <dir>', 'output directory')
    .action(async (dirs: string[], opts: { out?: string }) => {
      code = await (await import('./sweep.js')).mergeCommand(dirs, opts);
    });

  program
    .command('explain')
    .description('the run as a time-ordered story of what the mesh did and why')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <n>', 'random seed (overrides spec.seed)')
    .option('--mode <mode>', `mesh mode: ${MODE_NAMES.join(', ')} (overrides spec.mesh.mode)`)
    .option('--duration <d>', 'simulated duration (overrides spec.duration)')
    .action(async (file: string, opts: Record<string, string | boolean | undefined>) => {
      code = (await import('./explain.js')).explainCommand(file, opts);
    });

  program
    .command('validate')
    .description('check scenario files without simulating; prints diagnostics')
    .argument('<files...>', 'scenario YAML files')
    .action(async (files: string[]) => {
      code = (await import('./validate.js')).validateCommand(files);
    });

  program
    .command('import')
    .description('write a commented scenario from Kubernetes/Istio manifests and traces or Istio metrics')
    .option('--manifests <paths...>', 'files or directories of `kubectl get … -o yaml` output (Lists included)')
    .option('--traces <file>', 'a trace export: OTLP/JSON (Jaeger, Tempo, the Collector, meshsim traces.json) or Jaeger JSON')
    .option('--metrics <file|url>', 'Istio metrics: an OpenMetrics/Prometheus text file, or a Prometheus server URL')
    .option('--window <t0,t1>', 'the window to read: instants (ISO 8601 or Unix seconds) or, for a file, offsets such as 15s,60s')
    .option('--sampling <fraction>', 'share of requests the traces sampled (for rates; default: 1, or 0.01 for meshsim traces.json)')
    .option('--duration <d>', 'simulated duration of the imported scenario (default 60s, longer for slow edges)')
    .option('--out <file>', 'the scenario file to write')
    .option('--check', 'simulate the imported scenario and print observed vs simulated per edge')
    .option('--seed <n>', 'random seed of the --check run')
    .action(async (opts: ImportOptions) => {
      code = await (await import('./import.js')).importCommand(opts);
    });

  program
    .command('schema')
    .description("print the scenario file's JSON Schema (for editors; shipped as schema/scenario.schema.json)")
    .action(async () => {
      code = (await import('./schema.js')).schemaCommand();
    });

  // Work budgets and the istioFiles scope, on every command that simulates (CONTRACT.md §5).
  for (const c of program.commands) if (['run', 'compare', 'explain'].includes(c.name())) withBudgetOptions(c);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.input;
    }
    return reportFailure(e);
  }
  return code;
}

/** Input errors: one positioned line each, exit 2. Anything else is our bug: exit 1. */
