/**
 * The Linkerd and Cilium cost profiles (profiles/linkerd-*.json, profiles/cilium-*.json): every
 * figure is `{value, tag, src}` with a known tag and a source, as profiles/README.md requires.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const TAGS = ['P', 'P-derived', 'M', 'A', 'S'];
const files = readdirSync('profiles').filter((f) => /^(linkerd|cilium)-.*\.json$/.test(f));

function figures(node: unknown, path: string, out: [string, unknown][]): void {
  if (typeof node !== 'object' || node === null) return;
  if ('value' in node) {
    out.push([path, node]);
    return;
  }
  for (const [k, v] of Object.entries(node))
    if (!k.startsWith('_') && k !== 'name' && k !== 'extends') figures(v, path ? `${path}.${k}` : k, out);
}

describe('mesh cost profiles', () => {
  it('exist for Linkerd and Cilium', () => {
    expect(files).toEqual(expect.arrayContaining(['linkerd-2.18.json', 'cilium-1.16.json']));
  });
  for (const f of files) {
    it(`${f}: every figure has a numeric value, a tag and a source`, () => {
      const json = JSON.parse(readFileSync(`profiles/${f}`, 'utf8')) as Record<string, unknown>;
      const out: [string, unknown][] = [];
      figures(json, '', out);
      expect(out.length).toBeGreaterThan(0);
      for (const [path, fig] of out) {
        const { value, tag, src } = fig as { value: unknown; tag: unknown; src: unknown };
        expect(typeof value, path).toBe('number');
        expect(TAGS, path).toContain(tag);
        expect(typeof src === 'string' && src.length > 10, path).toBe(true);
      }
    });
  }
  it('the Linkerd proxy is lighter than an Istio 1.24 sidecar in CPU and memory (published ordering)', () => {
    const l = JSON.parse(readFileSync('profiles/linkerd-2.18.json', 'utf8')).linkerdProxy;
    const i = JSON.parse(readFileSync('profiles/istio-1.24.json', 'utf8')).sidecar;
    const cpu = (p: Record<string, { value: number }>) => p.requestLegCpuUs!.value + p.responseLegCpuUs!.value + p.telemetryCpuUs!.value;
    expect(cpu(l) / cpu(i)).toBeGreaterThan(0.4);
    expect(cpu(l) / cpu(i)).toBeLessThan(0.7);
    expect(l.baseMemoryMB.value).toBeLessThan(i.baseMemoryMB.value / 2);
  });
});

describe('mesh profiles load through the profile schema', () => {
  it('linkerd: the proxy (1 worker, queue 10 000, fail-fast 3 s) and the control plane', async () => {
    const { loadProfile } = await import('../../src/config/profile.js');
    const p = loadProfile('linkerd');
    expect(p.name).toBe('linkerd-2.18');
    expect(p.linkerd?.proxy).toMatchObject({ workers: 1, queueCapacity: 10_000, outboundFailfastUs: 3_000_000, defaultRttUs: 30_000 });
    expect(p.linkerd?.controlPlane.baseMemoryMB).toBe(345);
    expect(loadProfile('linkerd-2.11').linkerd?.proxy.baseMemoryMB).toBe(26);
  });
  it('cilium: datapath, agent, per-node Envoy, WireGuard and IPsec', async () => {
    const { loadProfile } = await import('../../src/config/profile.js');
    const p = loadProfile('cilium');
    expect(p.cilium?.wireguard.mtuBytes).toBe(1420);
    expect(p.cilium?.envoy.workers).toBe(2);
    expect(p.cilium?.datapath.cpuPerRequestUs).toBe(7);
  });
});
