/**
 * Istio's own CRD validation cases (istio/api tests/testdata/*-valid.yaml / *-invalid.yaml, run by
 * istio/api tests/validation_test.go against the CRDs): meshsim must accept every valid document
 * and reject (≥ 95% of) the invalid ones with a positioned error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Document } from 'yaml';
import { readIstioDocuments } from '../../src/config/istio/parse.js';
import { emptyIstioConfig, type Problems } from '../../src/config/istio/resources.js';
import { YamlSource } from '../../src/config/yaml-source.js';

const DIR = new URL('./istio-crd-testdata/', import.meta.url);

interface Case {
  file: string;
  name: string;
  wantErr: string | undefined;
  errors: string[];
}

/** Runs every document (its `_err` expectation removed, as Istio's test does) through the reader. */
export function runIstioCrdCases(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const src of YamlSource.all(file, readFileSync(new URL(file, DIR), 'utf8'))) {
      const raw = src.doc.toJS() as Record<string, unknown> | null;
      if (!raw || typeof raw !== 'object') continue;
      const { _err, ...obj } = raw;
      const text = new Document(obj).toString();
      const problems: Problems = { errors: [], warnings: [] };
      readIstioDocuments([new YamlSource(file, text)], emptyIstioConfig(), problems);
      const meta = obj.metadata as { name?: string } | undefined;
      cases.push({
        file,
        name: meta?.name ?? '?',
        wantErr: typeof _err === 'string' ? _err : undefined,
        errors: problems.errors.map((e) => `${e.line}:${e.col}: ${e.message}`),
      });
    }
  }
  return cases;
}

describe("Istio's CRD validation test data (istio/api tests/testdata)", () => {
  const cases = runIstioCrdCases();
  const valid = cases.filter((c) => c.wantErr === undefined);
  const invalid = cases.filter((c) => c.wantErr !== undefined);
  const caught = invalid.filter((c) => c.errors.length > 0);
  it('accepts every document Istio accepts', () => {
    expect(valid.filter((c) => c.errors.length > 0).map((c) => `${c.file} ${c.name}: ${c.errors.join('; ')}`)).toEqual([]);
  });
  it('rejects at least 95% of the documents Istio rejects', () => {
    const rate = caught.length / invalid.length;
    console.log(
      `istio CRD validation: valid accepted ${valid.length - valid.filter((c) => c.errors.length).length}/${valid.length}, invalid caught ${caught.length}/${invalid.length} (${(rate * 100).toFixed(1)}%)`,
    );
    expect(invalid.filter((c) => c.errors.length === 0).map((c) => `${c.file} ${c.name} (${c.wantErr})`)).toEqual([]);
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });
});

const read = (text: string) => {
  const problems: Problems = { errors: [], warnings: [] };
  readIstioDocuments(YamlSource.all('t.yaml', text), emptyIstioConfig(), problems);
  return problems;
};

describe('Istio kinds are validated as the API server validates them against Istio CRDs', () => {
  it('a removed API is an error naming the release that removed it (Istio 1.6 upgrade notes)', () => {
    const p = read('apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: r}\nspec: {}\n');
    expect(p.errors[0]?.message).toMatch(/removed in Istio 1\.6/);
    expect(p.errors[0]?.line).toBe(1);
    const m = read('apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: r}\nspec: {}\n');
    expect(m.errors[0]?.message).toMatch(/Istio 1\.8/);
  });
  it('an unmodelled kind Istio rejects gets a positioned error (ServiceEntry hosts "*": CEL rule in the CRD)', () => {
    const p = read('apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se}\nspec:\n  hosts: ["*"]\n');
    expect(p.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([
      '5:11 ServiceEntry se: spec.hosts[0]: hostname cannot be wildcard',
    ]);
  });
  it('an unknown field is an error at its key, with a suggestion', () => {
    const p = read('apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nspec:\n  egres: []\n');
    expect(p.errors[0]).toMatchObject({ line: 5, col: 3 });
    expect(p.errors[0]?.message).toMatch(/unknown field "egres" \(did you mean "egress"\?\)/);
  });
  it('a newer istio/api field on a modelled kind is accepted (http2KeepAlive) and warned as not modelled', () => {
    const p = read(
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: a\n  trafficPolicy:\n    connectionPool:\n      http:\n        http2KeepAlive: {interval: 10s}\n',
    );
    expect(p.errors).toEqual([]);
    expect(p.warnings.some((w) => w.message.includes('http2KeepAlive') && w.line === 9)).toBe(true);
  });
  it('a kind Istio does not serve in the group is an error', () => {
    const p = read('apiVersion: networking.istio.io/v1\nkind: Route\nmetadata: {name: r}\nspec: {}\n');
    expect(p.errors[0]?.message).toMatch(/Istio has no kind "Route"/);
  });
});
