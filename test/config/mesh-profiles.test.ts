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
    const l = JSON.parse(readFileSync('profiles/linkerd-2.18.json', 'utf8')).proxy;
    const i = JSON.parse(readFileSync('profiles/istio-1.24.json', 'utf8')).sidecar;
    const cpu = (p: Record<string, { value: number }>) => p.requestLegCpuUs!.value + p.responseLegCpuUs!.value + p.telemetryCpuUs!.value;
    expect(cpu(l) / cpu(i)).toBeGreaterThan(0.4);
    expect(cpu(l) / cpu(i)).toBeLessThan(0.7);
    expect(l.baseMemoryMB.value).toBeLessThan(i.baseMemoryMB.value / 2);
  });
});
