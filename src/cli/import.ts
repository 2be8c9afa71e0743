/**
 * `meshsim import --manifests PATH… [--traces FILE] [--metrics FILE|URL] [--window T0,T1] --out FILE [--check]`
 * (CONTRACT.md §5): writes a commented scenario from what a cluster exports, checks that it
 * validates, and with --check simulates it against what was observed.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { InputError } from '../config/diagnostics.js';
import { packageFile } from '../config/package-files.js';
import { loadScenario } from '../analysis/load.js';
import { readManifests, type Manifests } from '../import/manifests.js';
import { readTraces, trafficFromSpans } from '../import/traces.js';
import { parseWindow, queryPrometheus, readMetricsFile, trafficFromMetrics, type WindowSpec } from '../import/metrics.js';
import { emitScenario, istioFileText } from '../import/emit.js';
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

const SCHEMA = packageFile('schema', 'scenario.schema.json');

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
      duration: opts.duration ?? defaultDuration(traffic),
    });

    // Written beside the target, validated as `meshsim validate` would, then put in place. A kept
    // resource the engines refuse (an API version meshsim does not serve …) is dropped and listed.
    const tmp = join(dir, `.${base}.import-${process.pid}.yaml`);
    const istioPath = join(dir, istioFileName);
    let docs = emitted.istio;
    const dropped: string[] = [];
    let loaded;
    for (let attempt = 0; ; attempt++) {
      const istio = docs ? istioFileText(docs) : undefined;
      if (istio) writeFileSync(istioPath, istio.text);
      writeFileSync(tmp, emitted.scenario);
      try {
        loaded = loadScenario(tmp);
        break;
      } catch (e) {
        const inIstio = e instanceof InputError && docs && istio ? e.diagnostics.filter((d) => resolve(d.file) === resolve(istioPath)) : [];
        if (e instanceof InputError && docs && istio && inIstio.length && attempt < 8) {
          const docAt = (line: number) => istio.startLines.filter((l) => l <= line).length - 1;
          const bad = new Set(inIstio.map((d) => docAt(d.line)));
          for (const i of [...bad].sort((a, b) => a - b)) {
            const d = inIstio.find((x) => docAt(x.line) === i);
            dropped.push(`${docs[i]?.label ?? '?'}: ${d?.message ?? ''}`);
          }
          docs = docs.filter((_, i) => !bad.has(i));
          continue;
        }
        rmSync(tmp, { force: true });
        if (docs) rmSync(istioPath, { force: true });
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
    }
    renameSync(tmp, out);
    printWarnings(loaded.warnings.map((w) => ({ ...w, file: w.file === tmp ? out : w.file })));

    // The summary, on stderr.
    const s = emitted.summary;
    const err = (line: string) => process.stderr.write(`${line}\n`);
    err(
      `meshsim import: wrote ${out}${docs !== undefined ? ` and ${istioPath}` : ''}: ${s.services} services, ${s.edges} edges, ${s.workloads} workload(s), ${docs?.length ?? 0} Istio/Gateway/HPA resource(s) kept`,
    );
    if (s.unknown.length) err(`meshsim import: skipped unknown kinds: ${s.unknown.join(', ')}`);
    for (const d of dropped) err(`meshsim import: skipped ${d}`);
    for (const f of traffic?.fits ?? []) err(`meshsim import: service time ${f}`);
    for (const t of emitted.todos) err(`meshsim import: TODO: ${t}`);
    if (emitted.todos.length === 0) err('meshsim import: nothing left to guess');

    if (opts.check && traffic) {
      const seed = opts.seed === undefined ? undefined : Number(opts.seed);
      if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0))
        throw flagProblem('--seed', `expected a non-negative integer, got "${opts.seed}"`);
      const sim = simulatedEdges(loaded.scenario, traffic.kind, seed);
      // Observed names → results.json's: a service by its name, `name.namespace` when the name repeats.
      const count = new Map<string, number>();
      for (const sv of loaded.scenario.services) count.set(sv.name, (count.get(sv.name) ?? 0) + 1);
      const rename = (k: string) => {
        const n = emitted.names.get(k);
        if (!n) return k;
        return n.namespace === undefined || (count.get(n.name) ?? 0) <= 1 ? n.name : `${n.name}.${n.namespace}`;
      };
      process.stdout.write(formatCheck(checkRows(traffic, sim, rename)));
    } else if (opts.check) err('meshsim import: --check needs --traces or --metrics (nothing observed to compare with)');
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}

/**
 * 60 s, or longer (at most 600 s) so that the slowest edge sees about 2,500 calls (Poisson noise
 * about 2% on its rate), while the whole run stays under 500,000 calls (the default budget is 1M).
 */
export function defaultDuration(t: Traffic | undefined): string {
  const rates = (t?.edges ?? []).map((e) => e.ratePerS).filter((r) => r > 0);
  if (rates.length === 0) return '60s';
  const total = rates.reduce((a, b) => a + b, 0);
  const want = Math.min(600, 2500 / Math.min(...rates), 500_000 / total);
  return `${Math.max(60, Math.ceil(want / 10) * 10)}s`;
}
