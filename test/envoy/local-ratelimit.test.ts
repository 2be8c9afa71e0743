/**
 * Local rate limiting with Istio's documented EnvoyFilter
 * (https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/): envoy.filters.http.local_ratelimit
 * with a token bucket (envoy api/envoy/type/v3/token_bucket.proto: starts with max_tokens, a timer
 * adds tokens_per_fill every fill_interval up to max_tokens), 429 with flag RL; filter_enabled /
 * filter_enforced default to 0% (local_rate_limit.proto). Other EnvoyFilter patches are warned about.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { repoPath, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';
import { loadScenarioSource } from '../../src/analysis/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { TokenBucket, type LocalRateLimit } from '../../src/policy/local-ratelimit.js';

const limit: LocalRateLimit = {
  source: 't',
  namespace: 'default',
  context: 'SIDECAR_INBOUND',
  maxTokens: 4,
  tokensPerFill: 2,
  fillIntervalUs: 1e6,
  enabledPercent: 100,
  enforcedPercent: 100,
};

describe('token bucket', () => {
  it('starts full, refills tokens_per_fill per fill_interval tick, never above max_tokens', () => {
    const b = new TokenBucket(limit, 0);
    expect([1, 2, 3, 4, 5].map(() => b.take(0.5e6))).toEqual([true, true, true, true, false]);
    expect([1, 2, 3].map(() => b.take(1.2e6))).toEqual([true, true, false]); // one tick: +2
    expect([1, 2, 3, 4, 5].map(() => b.take(10e6))).toEqual([true, true, true, true, false]); // capped at 4
  });
});

describe('local rate limit in a run', () => {
  it('scenarios/local-rate-limit.yaml: the 429 share matches the token buckets (2 pods × 10 tokens per 1 s over 60 s)', () => {
    const r = run(scenarioFromFile('scenarios/local-rate-limit.yaml'));
    // Each sidecar's bucket lets through 10 at start and 10 per tick: 10 × 60 per pod.
    expect(r.requests.by_code['200']).toBe(2 * 10 * 60);
    expect(r.requests.by_code['429']).toBe(r.requests.total - 1200);
  });

  const yaml = readFileSync(repoPath('scenarios/local-rate-limit.yaml'), 'utf8');

  it('without filter_enabled / filter_enforced (0% by default) nothing is limited', () => {
    const off = yaml.replace(/ {18}filter_enabled:[\s\S]*?denominator: HUNDRED\n {18}filter_enforced:[\s\S]*?denominator: HUNDRED\n/, '');
    expect(off).not.toMatch(/filter_enforced/);
    const r = run(scenarioFromYaml(off));
    expect(r.requests.by_code).toEqual({ '200': r.requests.total });
  });

  it('SIDECAR_OUTBOUND limits the caller’s own sidecar: 429 with flag RL at the client', () => {
    const out = yaml.replace('context: SIDECAR_INBOUND', 'context: SIDECAR_OUTBOUND').replace('app: productpage', 'app: frontend');
    const s = out
      .replace(
        '  services:\n',
        '  services:\n    - {name: frontend, serviceTime: 1ms, concurrency: 64, calls: [{service: productpage, onFailure: ignore}]}\n',
      )
      .replace('target: productpage', 'target: frontend');
    const r = run(scenarioFromYaml(s));
    const e = r.edges.find((x) => x.source === 'frontend' && x.destination === 'productpage');
    expect(e?.by_flag.RL).toBe(e?.by_code['429']);
    expect(e?.by_code['200']).toBe(10 * 60);
  });

  it('other EnvoyFilter patches are warned about precisely (which patch, which filter)', () => {
    const lua = yaml.replace('name: envoy.filters.http.local_ratelimit', 'name: envoy.filters.http.lua');
    const { warnings } = loadScenarioSource(new YamlSource('lua.yaml', lua));
    expect(warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(
        /EnvoyFilter istio-system\/filter-local-ratelimit-svc: configPatches\[0\] \(HTTP_FILTER envoy\.filters\.http\.lua, INSERT_BEFORE\) is not simulated/,
      ),
    );
  });
});
