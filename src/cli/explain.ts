/**
 * `meshsim explain`: the run told as a time-ordered story — what the chaos script did, how the
 * mesh reacted (ejections, config pushes, certificate rotations) and what users saw, with the
 * meaning of every Envoy response flag that occurred.
 */
import { formatDuration } from '../config/units.js';
import { buildResults, type ResultsJson } from '../report/results.js';
import { simulate } from '../sim/simulate.js';
import type { Scenario } from '../config/model.js';
import type { TimelineEvent } from '../record/timeline.js';
import {
  checkOverrides,
  checkWork,
  EXIT,
  loadChecked,
  parseBudget,
  parseOverrides,
  printModeWarnings,
  printRunWarnings,
  printWarnings,
  reportFailure,
  runOutcome,
} from './common.js';
import { runWarnings } from '../sim/warnings.js';
import { k8sStory, lifecycleSummaries } from './explain-k8s.js';

/** Envoy response flags in plain words (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage). */
const FLAG_MEANING: Record<string, string> = {
  UO: 'upstream overflow: a connection-pool circuit breaker was full, the client proxy answered 503 at once (never retried)',
  URX: 'the retry policy ran out of attempts; the last answer was returned',
  UH: 'no healthy upstream: no endpoint to send to (none selected, or all ejected)',
  UF: 'upstream connection failure: the connection was refused or dropped (crashed pod, mTLS mismatch, ztunnel policy)',
  UT: 'upstream request timeout: the route timeout (or the last per-try timeout) fired',
  NR: 'no route: the VirtualService had no rule matching the request (404)',
  NC: 'no cluster: the route names a host or subset that no DestinationRule defines (503)',
  FI: 'fault injection aborted the request before it left the client proxy',
  DI: 'fault injection delayed the request',
  UC: 'upstream connection termination: the pod reset the request mid-way (e.g. it crashed)',
};

function story(e: TimelineEvent): string {
  const f = (k: string) => String(e[k] ?? '');
  switch (e.type) {
    case 'fault_start':
      return `fault starts: ${f('fault')}${f('pods') ? ` (pods ${f('pods')})` : ''}`;
    case 'fault_end':
      return `fault ends: ${f('fault')}`;
    case 'pod_crash':
      return `${f('pod')}'s container crashes: requests in it are reset, new connections refused (until the endpoint is gone)`;
    case 'config_applied':
      return `config applied: ${f('resources')} (proxies get it after the propagation delay)`;
    case 'config_propagated':
      return `config reaches the proxies: ${f('resources')}`;
    case 'cert_rotation':
      return `workload certificates rotate (50% of a ${f('lifetime_h')} h lifetime); new connections handshake with the new ones`;
    case 'outlier_eject':
      return `${f('proxy')} ejects ${f('pod')} from ${f('cluster')}: ${f('ejection_type')} (ejection #${f('num_ejections')} in a row, out for at least ${f('num_ejections')} × baseEjectionTime)`;
    case 'outlier_uneject':
      return `${f('proxy')} brings ${f('pod')} back into ${f('cluster')} on an interval tick`;
    case 'hpa_scale':
      return `HorizontalPodAutoscaler ${f('hpa')} scales Deployment ${f('target')} from ${f('from')} to ${f('to')} replicas: ${f('reason')}${e.limited ? ` (limited: ${f('limited')})` : ''}; metrics ${f('metric')}`;
    default:
      return k8sStory(e) ?? canaryStory(e) ?? `${e.type} ${JSON.stringify(e)}`;
  }
}

/** Flagger's canary analysis (sim/canary.ts), in Flagger's own words where it has them. */
function canaryStory(e: TimelineEvent): string | undefined {
  const f = (k: string) => String(e[k] ?? '');
  const measured =
    e.success_rate === undefined ? '' : `; success rate ${f('success_rate')}%, P99 ${f('duration_p99_ms')} ms over the last interval`;
  switch (e.type) {
    case 'canary_progressing':
      return `Canary ${f('canary')}: new revision ${f('revision')} of ${f('target')} detected; Flagger scales the canary up (no traffic yet)`;
    case 'canary_step':
      return `Canary ${f('canary')}: advance canary weight ${f('weight')}${e.iteration === undefined ? '' : ` (iteration ${f('iteration')})`}${measured}; the proxies get it after istiod's push`;
    case 'canary_halt':
      return `Canary ${f('canary')}: halt advancement at weight ${f('weight')}: ${f('reason')} (failed check ${f('failed_checks')} of ${f('threshold')})`;
    case 'canary_rollback':
      return `Canary ${f('canary')}: rolling back at weight ${f('weight')}: failed checks threshold reached ${f('failed_checks')}; all traffic to the primary, canary scaled to zero`;
    case 'canary_promoted':
      return `Canary ${f('canary')}: promotion completed: the primary runs ${f('revision')}, the canary is scaled to zero`;
    default:
      return undefined;
  }
}

export function explainRun(scenario: Scenario, r: ResultsJson, events: TimelineEvent[]): string {
  const lines: string[] = [];
  lines.push(`meshsim explain · ${r.scenario} · mode ${r.mode} · seed ${r.seed} · ${r.simulated.duration_s}s simulated`);
  if (scenario.description) lines.push('', scenario.description.trim());
  const pods = scenario.services.reduce((n, s) => n + s.versions.reduce((m, v) => m + v.replicas, 0), 0);
  lines.push(
    '',
    `${'t=0.000s'.padEnd(11)}${scenario.nodes.length} node(s), ${scenario.services.length} service(s), ${pods} pod(s); proxies: ${
      Object.entries(r.resources.by_component)
        .filter(([k]) => k !== 'app')
        .map(([k, c]) => `${c.instances} ${k}`)
        .join(', ') || 'none'
    }`,
  );
  for (const w of scenario.workloads) {
    const a = w.arrivals;
    lines.push(
      `           ${w.name} → ${w.target}: ${a.kind === 'closed' ? `${a.users} closed-loop users` : `up to ${a.maxRate} req/s (${a.process})`}`,
    );
  }
  const c = r.cluster;
  lines.push(
    `           pods placed by ${c.placement === 'requests' ? 'their requests (kube-scheduler-like, least allocated)' : 'the placement hash'}: requests ${c.requests.cpu_cores} of ${c.allocatable.cpu_cores} allocatable cores on ${c.nodes} node(s), ${c.nodes_used} used; the requests need ${c.nodes_needed} node(s) when bin-packed`,
  );
  for (const p of c.pending) lines.push(`           ${p.pod} stays Pending: ${p.reason}`);
  if (scenario.warmupUs > 0) lines.push(`           statistics start after the ${formatDuration(scenario.warmupUs)} warm-up`);
  for (const e of events) lines.push(`t=${e.t_s.toFixed(3)}s`.padEnd(11) + story(e));
  const lifecycle = lifecycleSummaries(events);
  if (lifecycle.length) lines.push('', ...lifecycle);
  const q = r.requests;
  lines.push(
    '',
    `In all: ${q.total} end-user requests, ${q.failed} failed (${q.total ? ((100 * q.failed) / q.total).toFixed(2) : '0'}%); p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms.`,
  );
  if (q.unfinished > 0) {
    lines.push(`  ${q.unfinished} more never finished (still in flight when the run stopped; not in the total). Where they wait:`);
    for (const u of r.unfinished)
      lines.push(
        `    ${u.requests} on ${u.source} → ${u.destination}, the oldest since t=${u.oldest_start_s.toFixed(3)}s${
          u.dropped_by.length ? `; ${u.dropped_by.join(', ')} dropped them (unreachable) and no timeout ends the wait` : ''
        }`,
      );
  }
  for (const [name, svc] of Object.entries(r.services))
    if (svc.replicas.final !== svc.replicas.initial || svc.replicas.max !== svc.replicas.initial)
      lines.push(`  ${name}: ${svc.replicas.initial} → ${svc.replicas.final} replicas (at most ${svc.replicas.max})`);
  lines.push(
    `  nodes: ${c.nodes} (${c.nodes_used} used, ${c.pods_pending} pod(s) pending), $${c.node_monthly_cost_usd.toFixed(2)}/month at node prices`,
  );
  const seen = new Map<string, number>();
  for (const e of r.edges) for (const [flag, n] of Object.entries(e.by_flag)) if (n > 0) seen.set(flag, (seen.get(flag) ?? 0) + n);
  for (const [flag, n] of [...seen.entries()].sort())
    lines.push(`  ${flag} × ${n} (over all calls): ${FLAG_MEANING[flag] ?? 'see Envoy response flags'}`);
  for (const e of r.edges) {
    const failed =
      e.requests -
      Object.entries(e.by_code)
        .filter(([c]) => Number(c) >= 100 && Number(c) < 400)
        .reduce((n, [, v]) => n + v, 0);
    if (failed > 0)
      lines.push(
        `  ${e.source} → ${e.destination}: ${failed} of ${e.requests} calls failed (${Object.entries(e.by_code)
          .map(([c, n]) => `${c}: ${n}`)
          .join(', ')})`,
      );
  }
  return lines.join('\n');
}

export function explainCommand(file: string, opts: Record<string, string | boolean | undefined>): number {
  try {
    const overrides = parseOverrides(opts);
    const budget = parseBudget(opts);
    const loaded = loadChecked(file, opts);
    const { scenario, warnings } = loaded;
    checkOverrides(overrides, scenario);
    printWarnings(warnings);
    printModeWarnings(scenario, overrides.mode ?? scenario.mesh.mode);
    checkWork(loaded, budget, overrides.mode ?? scenario.mesh.mode, overrides.durationUs ?? scenario.durationUs);
    const state = simulate(scenario, { mode: overrides.mode, seed: overrides.seed, durationUs: overrides.durationUs, budget });
    printRunWarnings(runWarnings(state));
    process.stdout.write(`${explainRun(scenario, buildResults(state), state.timeline.events)}\n`);
    return runOutcome(loaded, state, undefined) ?? EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}
