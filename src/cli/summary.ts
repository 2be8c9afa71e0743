/** The end-of-run terminal summary (k6 style): what happened, how fast, where the files are. */
import { join } from 'node:path';
import type { ResultsJson } from '../report/results.js';

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(2)}%` : 'n/a');
const ms = (x: number) => `${x.toFixed(3)} ms`;

export interface SloCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export function formatSummary(r: ResultsJson, wallMs: number, files: string[], slo: SloCheck[]): string {
  const lines: string[] = [];
  const q = r.requests;
  lines.push(`meshsim ${r.meshsim} · ${r.scenario} · mode ${r.mode} · seed ${r.seed} · ${r.simulated.duration_s}s simulated`);
  lines.push('');
  // Unfinished requests are not in the total, but a share of successes must not hide them.
  const unfinished = q.unfinished;
  lines.push(
    `  requests ........ ${q.total}  (${pct(q.succeeded, q.total + unfinished)} succeeded, ${q.failed} failed, ${unfinished} unfinished)`,
  );
  if (unfinished > 0) {
    lines.push(`  unfinished ...... ${unfinished} end-user request(s) still in flight when the run stopped (not in the total)`);
    for (const u of r.unfinished)
      lines.push(
        `                    ${u.requests} waiting on ${u.source} → ${u.destination} since t=${u.oldest_start_s.toFixed(3)}s${u.dropped_by.length ? ` (dropped by ${u.dropped_by.join(', ')})` : ''}`,
      );
  }
  const codes = Object.entries(q.by_code)
    .map(([c, n]) => `${c}: ${n}`)
    .join('  ');
  if (codes) lines.push(`  by code ......... ${codes}`);
  const flags = Object.entries(q.by_flag)
    .filter(([, n]) => n > 0)
    .map(([f, n]) => `${f}: ${n}`)
    .join('  ');
  if (flags) lines.push(`  by flag ......... ${flags}`);
  const l = r.latency_ms;
  lines.push(
    `  latency ......... mean ${ms(l.mean)}  p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`,
  );
  // cpuShare stays 1 by default (serviceTime is CPU work, as the queueing checks assume), and the
  // summary says so every time: it surprised readers who meant wall-clock time.
  const shares = Object.entries(r.services).map(([name, svc]) => `${name} ${svc.cpu_share}`);
  if (shares.length)
    lines.push(
      `  cpuShare ........ ${shares.join(', ')}  (share of serviceTime spent on node CPU; default 1 = all of it, set services[].cpuShare for I/O-bound apps)`,
    );
  const res = r.resources.by_component;
  for (const [name, c] of Object.entries(res)) {
    lines.push(
      `  ${`${name} `.padEnd(17, '.')} ${c.instances} instance${c.instances === 1 ? '' : 's'} · ${c.cpu_cores.toFixed(3)} cores · ${c.memory_mib.toFixed(1)} MiB · $${c.monthly_cost_usd.toFixed(2)}/month`,
    );
  }
  // Traffic between zones is billed per GB: shown when any request crossed zones.
  const cz = r.resources.cross_zone;
  if (cz.requests > 0)
    lines.push(
      `  cross-zone ...... ${cz.requests} requests (${(100 * cz.share).toFixed(1)}% of those pods answered) · ${cz.gb.toFixed(3)} GB · $${cz.monthly_usd.toFixed(2)}/month at $${cz.usd_per_gb}/GB`,
    );
  const evps = wallMs > 0 ? Math.round(r.simulated.events / (wallMs / 1000)) : 0;
  lines.push(
    `  simulation ...... ${r.simulated.events} events in ${(wallMs / 1000).toFixed(2)} s wall (${evps.toLocaleString('en-US')} events/s)`,
  );
  if (slo.length) {
    lines.push('');
    for (const c of slo) lines.push(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
  }
  if (files.length) {
    lines.push('');
    for (const f of files) lines.push(`  wrote ${f}`);
  }
  return lines.join('\n');
}

/** A path as a shell word: left alone when it is plain, single-quoted otherwise. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * How to load the run's files into Prometheus and a trace backend: exact commands for this run,
 * for the files it wrote (`written`: file names; every file when absent).
 */
export function formatLoadCommands(outDir: string, epoch: string, written?: readonly string[]): string {
  const f = (name: string) => shellWord(join(outDir, name));
  const has = (name: string) => !written || written.includes(name);
  const data = shellWord(join(outDir, 'prometheus-data'));
  const lines: string[] = [];
  if (has('report.html')) lines.push('', `  open ${f('report.html')} in a browser (self-contained, works offline)`);
  if (has('metrics.om')) {
    lines.push(
      '',
      `  load into Prometheus (simulated t=0 is ${epoch}; pick --epoch within your retention and older than 3 h):`,
      `    promtool check metrics < ${f('metrics.prom')}`,
      `      (exits 3 with 'use base unit "seconds"' for istio_request_duration_milliseconds: that is Istio's own metric name, expected; anything else it prints is a real problem)`,
      `    promtool tsdb create-blocks-from openmetrics ${f('metrics.om')} ${data}`,
      `    prometheus --storage.tsdb.path=${data} --storage.tsdb.retention.time=100y`,
    );
  }
  if (has('traces.json')) {
    lines.push(
      '  push the sampled traces to Jaeger, Tempo or an OpenTelemetry Collector:',
      `    curl -H 'Content-Type: application/json' --data-binary @${f('traces.json')} http://localhost:4318/v1/traces`,
    );
  }
  return lines.join('\n');
}
