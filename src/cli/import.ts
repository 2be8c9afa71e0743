/**
 * `meshsim import --manifests PATH… [--traces FILE] [--metrics FILE|URL] [--window T0,T1] --out FILE [--check]`
 * (CONTRACT.md §5): writes a commented scenario from what a cluster exports, checks that it
 * validates, and with --check simulates it against what was observed.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../config/diagnostics.js';
import { loadScenario } from '../analysis/load.js';
import { readManifests, type Manifests } from '../import/manifests.js';
import { readTraces, trafficFromSpans } from '../import/traces.js';
import { parseWindow, queryPrometheus, readMetricsFile, trafficFromMetrics, type WindowSpec } from '../import/metrics.js';
import { emitScenario } from '../import/emit.js';
import { checkRows, formatCheck, simulatedEdges } from '../import/check.js';
import { dnsLabel, type Traffic } from '../import/traffic.js';
import { EXIT, flagProblem, printWarnings, reportFailure } from './common.js';

export interface ImportOptions {
  manifests?: string[];
  traces?: string;
  metrics?: string;
  window?: string;
  sampling?: string;
  out?: string;
  check?: boolean;
  seed?: string;
  duration?: string;
}

const SCHEMA = fileURLToPath(new URL('../../schema/scenario.schema.json', import.meta.url));

export async function importCommand(opts: ImportOptions): Promise<number> {
  try {
    if (!opts.out) throw flagProblem('--out', 'give the scenario file to write, e.g. --out imported.yaml');
    if (opts.traces && opts.metrics) throw flagProblem('--traces', 'give --traces or --metrics, not both');
    if (!opts.manifests?.length && !opts.traces && !opts.metrics)
      throw flagProblem('--manifests', 'give --manifests, --traces or --metrics');
    const out = opts.out;
    if (existsSync(out) && statSync(out).isDirectory()) throw flagProblem('--out', `${out} is a directory: give a file name`);
    const win: WindowSpec = opts.window ? parseWindow(opts.window) : {};
    let sampling: number | undefined;
    if (opts.sampling !== undefined) {
      sampling = Number(opts.sampling);
      if (!(sampling > 0 && sampling <= 1)) throw flagProblem('--sampling', `expected a fraction in (0, 1], got "${opts.sampling}"`);
    }
    if (opts.duration !== undefined && !/^\d+(\.\d+)?(ms|s|m|h)$/.test(opts.duration))
      throw flagProblem('--duration', `expected a duration such as 60s, got "${opts.duration}"`);

    const manifests: Manifests | undefined = opts.manifests?.length ? readManifests(opts.manifests) : undefined;
    let traffic: Traffic | undefined;
    if (opts.traces) traffic = trafficFromSpans(opts.traces, readTraces(opts.traces), { sampling });
    else if (opts.metrics) {
      const w = /^https?:\/\//i.test(opts.metrics)
        ? await queryPrometheus(opts.metrics, win, new Date().getTime() / 1000)
        : readMetricsFile(opts.metrics, win);
      traffic = trafficFromMetrics(w);
    }

    const dir = dirname(out);
    mkdirSync(dir, { recursive: true });
    const base = basename(out, extname(out));
    const istioFileName = `${base}.istio.yaml`;
    const inputs = [...(opts.manifests ?? []), ...(opts.traces ? [opts.traces] : []), ...(opts.metrics ? [opts.metrics] : [])];
    const emitted = emitScenario(manifests, traffic, {
      name: dnsLabel(base),
      schemaRef: relative(dir, SCHEMA) || SCHEMA,
      istioFileName,
      inputs,
      duration: opts.duration,
    });

    // Written beside the target, validated as `meshsim validate` would, then put in place.
    const tmp = join(dir, `.${base}.import-${process.pid}.yaml`);
    const istioPath = join(dir, istioFileName);
    if (emitted.istio !== undefined) writeFileSync(istioPath, emitted.istio);
    writeFileSync(tmp, emitted.scenario);
    let loaded;
    try {
      loaded = loadScenario(tmp);
    } catch (e) {
      rmSync(tmp, { force: true });
      if (emitted.istio !== undefined) rmSync(istioPath, { force: true });
      if (e instanceof InputError)
        throw new InputError(
          e.diagnostics.map((d) => ({
            ...d,
            file: d.file === tmp ? out : d.file,
            message: `the imported scenario does not validate: ${d.message}`,
          })),
        );
      throw e;
    }
    renameSync(tmp, out);
    printWarnings(loaded.warnings.map((w) => ({ ...w, file: w.file === tmp ? out : w.file })));

    // The summary, on stderr.
    const s = emitted.summary;
    const err = (line: string) => process.stderr.write(`${line}\n`);
    err(
      `meshsim import: wrote ${out}${emitted.istio !== undefined ? ` and ${istioPath}` : ''}: ${s.services} services, ${s.edges} edges, ${s.workloads} workload(s), ${s.kept} Istio/Gateway/HPA resource(s) kept`,
    );
    if (s.unknown.length) err(`meshsim import: skipped unknown kinds: ${s.unknown.join(', ')}`);
    for (const f of traffic?.fits ?? []) err(`meshsim import: service time ${f}`);
    for (const t of emitted.todos) err(`meshsim import: TODO: ${t}`);
    if (emitted.todos.length === 0) err('meshsim import: nothing left to guess');

    if (opts.check && traffic) {
      const seed = opts.seed === undefined ? undefined : Number(opts.seed);
      if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0))
        throw flagProblem('--seed', `expected a non-negative integer, got "${opts.seed}"`);
      const sim = simulatedEdges(loaded.scenario, traffic.kind, seed);
      // Observed names → the scenario's (a traffic name may be an alias of a manifest Service).
      const rename = (k: string) => k;
      process.stdout.write(formatCheck(checkRows(traffic, sim, rename)));
    } else if (opts.check) err('meshsim import: --check needs --traces or --metrics (nothing observed to compare with)');
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}
