/** The scenario as the report shows it: workloads, services, calls and faults — all user text, all escaped. */
import type { ArrivalModel, Scenario, WorkloadModel } from '../../config/model.js';
import type { Distribution } from '../../kernel/distributions.js';
import { esc, num } from './escape.js';
import { emptyNote, section, table } from './page.js';

/** A duration in seconds as people write it: 250 µs, 12 ms, 1.5 s, 2 min, 1 h. */
export function durationText(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s === 0) return '0 s';
  if (s < 1e-3) return `${num(s * 1e6, 0)} µs`;
  if (s < 1) return `${num(s * 1e3, s * 1e3 < 10 ? 2 : 0)} ms`;
  if (s < 120) return `${num(s, Number.isInteger(s) ? 0 : 2)} s`;
  if (s < 7200) return `${num(s / 60, Number.isInteger(s / 60) ? 0 : 1)} min`;
  return `${num(s / 3600, Number.isInteger(s / 3600) ? 0 : 1)} h`;
}

const us = (x: number) => durationText(x / 1e6);

export function describeDistribution(d: Distribution): string {
  switch (d.kind) {
    case 'constant':
      return `constant ${us(d.value)}`;
    case 'exponential':
      return `exponential, mean ${us(d.mean)}`;
    case 'lognormal':
      return `lognormal, median ${us(d.median)}, p99 ${us(d.p99)}`;
    case 'uniform':
      return `uniform ${us(d.min)} – ${us(d.max)}`;
  }
}

export function describeArrivals(a: ArrivalModel): string {
  if (a.kind === 'closed') return `${num(a.users)} users, think time ${describeDistribution(a.thinkTime)}`;
  const segs = a.segments;
  const kind = a.process === 'poisson' ? 'Poisson' : 'constant gaps';
  if (segs.length === 1 && segs[0] && segs[0].fromRate === segs[0].toRate) return `${num(segs[0].fromRate, 1)} req/s, ${kind}`;
  const parts = segs.map((s) =>
    s.fromRate === s.toRate
      ? `${num(s.fromRate, 1)} req/s from ${us(s.startUs)}`
      : `${num(s.fromRate, 1)}→${num(s.toRate, 1)} req/s over ${us(s.startUs)}–${Number.isFinite(s.endUs) ? us(s.endUs) : 'end'}`,
  );
  return `${parts.join('; ')} (${kind})`;
}

function requestMix(w: WorkloadModel): string {
  const total = w.requests.reduce((n, r) => n + r.weight, 0) || 1;
  return w.requests
    .map((r) => {
      const headers = Object.entries(r.headers ?? {})
        .map(([k, v]) => `<code>${esc(k)}: ${esc(v)}</code>`)
        .join(' ');
      const share = w.requests.length > 1 ? ` <span class="delta">${esc(num((100 * r.weight) / total, 0))}%</span>` : '';
      return `<code>${esc(r.method)} ${esc(r.path)}</code>${headers ? ` ${headers}` : ''}${share}`;
    })
    .join('<br>');
}

export function scenarioSection(s: Scenario, arrivals = describeArrivals, dist = describeDistribution): string {
  const workloads = table(
    [
      { label: 'workload', left: true },
      { label: 'target', left: true },
      { label: 'from', left: true },
      { label: 'arrivals', left: true },
      { label: 'requests', left: true },
    ],
    s.workloads.map((w) => [
      w.name,
      w.target,
      `${w.from.namespace}/${w.from.serviceAccount}${w.from.inMesh ? '' : ' (outside the mesh)'}`,
      arrivals(w.arrivals),
      { html: requestMix(w) },
    ]),
  );
  const services = table(
    [
      { label: 'service', left: true },
      { label: 'versions', left: true },
      { label: 'concurrency' },
      { label: 'service time', left: true },
      { label: 'calls', left: true },
    ],
    s.services.map((svc) => [
      `${svc.name}.${svc.namespace}${svc.inMesh ? '' : ' (outside the mesh)'}${svc.propagatesTraceHeaders ? '' : ' (drops trace headers)'}`,
      svc.versions
        .map(
          (v) => `${v.name}×${v.replicas}${v.failure.rate > 0 ? ` (fails ${num(100 * v.failure.rate, 2)}% with ${v.failure.status})` : ''}`,
        )
        .join(', '),
      num(svc.concurrency),
      [...new Set(svc.versions.map((v) => dist(v.serviceTime)))].join('; '),
      {
        html: svc.calls.length
          ? svc.calls
              .map(
                (c) =>
                  `${esc(c.service)} <code>${esc(c.method)} ${esc(c.path)}</code>${c.onFailure === 'ignore' ? ' (failures ignored)' : ''}`,
              )
              .join('<br>')
          : '–',
      },
    ]),
  );
  const faults = s.faults.length
    ? table(
        [
          { label: 'at', left: true },
          { label: 'until', left: true },
          { label: 'fault', left: true },
        ],
        s.faults.map((f) => [us(f.atUs), f.untilUs === undefined ? '–' : us(f.untilUs), f.label]),
      )
    : emptyNote('No faults are scheduled.');
  return section(
    'scenario',
    'The scenario',
    `what was simulated: ${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}, mesh profile ${s.mesh.profile}; the traffic, the services and the chaos script.`,
    `<h3>Workloads</h3>${workloads}<h3>Services</h3>${services}<h3>Faults</h3>${faults}`,
  );
}
