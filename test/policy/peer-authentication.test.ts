/**
 * PeerAuthentication resolution (src/policy/peer-authentication.ts): scopes, inheritance, port
 * overrides and conflicts as Istio's ComposePeerAuthentication resolves them (istio/istio
 * pilot/pkg/security/authn/policy_applier.go).
 */
import { describe, expect, it } from 'vitest';
import {
  acceptsMtls,
  acceptsPlaintext,
  autoMtlsUsesTls,
  effectiveMtlsMode,
  peerAuthenticationWarnings,
  ztunnelMtlsMode,
  type MtlsMode,
  type PeerAuthenticationPolicy,
} from '../../src/policy/peer-authentication.js';

const pa = (
  namespace: string,
  name: string,
  mode?: MtlsMode,
  matchLabels?: Record<string, string>,
  ports?: Record<string, MtlsMode | undefined>,
): PeerAuthenticationPolicy => ({
  name,
  namespace,
  spec: {
    ...(mode !== undefined ? { mtls: { mode } } : {}),
    ...(matchLabels ? { selector: { matchLabels } } : {}),
    ...(ports ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([p, m]) => [p, m === undefined ? {} : { mode: m }])) } : {}),
  },
});

const finance = { namespace: 'foo', labels: { app: 'finance', version: 'v1' } };
const other = { namespace: 'foo', labels: { app: 'other' } };
const elsewhere = { namespace: 'bar', labels: { app: 'finance' } };

describe('effectiveMtlsMode', () => {
  it('is PERMISSIVE when no policy exists', () => {
    expect(effectiveMtlsMode([], finance)).toBe('PERMISSIVE');
  });

  it('applies a namespace policy to every workload of that namespace only', () => {
    const policies = [pa('foo', 'default', 'STRICT')];
    expect(effectiveMtlsMode(policies, finance)).toBe('STRICT');
    expect(effectiveMtlsMode(policies, other)).toBe('STRICT');
    expect(effectiveMtlsMode(policies, elsewhere)).toBe('PERMISSIVE');
  });

  it('applies a root-namespace policy mesh-wide, and a namespace policy overrides it', () => {
    const policies = [pa('istio-system', 'default', 'STRICT'), pa('bar', 'default', 'PERMISSIVE')];
    expect(effectiveMtlsMode(policies, finance)).toBe('STRICT');
    expect(effectiveMtlsMode(policies, elsewhere)).toBe('PERMISSIVE');
    expect(effectiveMtlsMode([pa('mesh-root', 'default', 'STRICT')], finance, undefined, 'mesh-root')).toBe('STRICT');
  });

  it('lets a workload selector override the namespace, for matching workloads only', () => {
    const policies = [pa('foo', 'default', 'PERMISSIVE'), pa('foo', 'finance', 'STRICT', { app: 'finance' })];
    expect(effectiveMtlsMode(policies, finance)).toBe('STRICT');
    expect(effectiveMtlsMode(policies, other)).toBe('PERMISSIVE');
  });

  it('UNSET (or no mtls at all) inherits from the next wider scope, and PERMISSIVE at the top', () => {
    expect(
      effectiveMtlsMode(
        [pa('istio-system', 'm', 'STRICT'), pa('foo', 'ns', 'UNSET'), pa('foo', 'w', 'UNSET', { app: 'finance' })],
        finance,
      ),
    ).toBe('STRICT');
    expect(
      effectiveMtlsMode([pa('istio-system', 'm', 'DISABLE'), pa('foo', 'ns'), pa('foo', 'w', undefined, { app: 'finance' })], finance),
    ).toBe('DISABLE');
    expect(effectiveMtlsMode([pa('istio-system', 'm', 'UNSET')], finance)).toBe('PERMISSIVE');
  });

  it('overrides per workload port, and a port-level UNSET inherits the workload result', () => {
    // istio/api example: finance STRICT but port 8080 plaintext.
    const strictBut8080 = [pa('foo', 'default', 'STRICT', { app: 'finance' }, { 8080: 'DISABLE', 9090: 'UNSET' })];
    expect(effectiveMtlsMode(strictBut8080, finance, 8080)).toBe('DISABLE');
    expect(effectiveMtlsMode(strictBut8080, finance, 9090)).toBe('STRICT');
    expect(effectiveMtlsMode(strictBut8080, finance, 80)).toBe('STRICT');
    expect(effectiveMtlsMode(strictBut8080, finance)).toBe('STRICT');
    // Inherit the namespace mode, override one port.
    const inherit = [pa('foo', 'ns', 'STRICT'), pa('foo', 'w', 'UNSET', { app: 'finance' }, { 8080: 'PERMISSIVE' })];
    expect(effectiveMtlsMode(inherit, finance, 8080)).toBe('PERMISSIVE');
    expect(effectiveMtlsMode(inherit, finance, 8000)).toBe('STRICT');
  });

  it('lets the oldest policy win within a scope (array order = creation order)', () => {
    expect(effectiveMtlsMode([pa('foo', 'a', 'DISABLE'), pa('foo', 'b', 'STRICT')], finance)).toBe('DISABLE');
    expect(effectiveMtlsMode([pa('foo', 'b', 'STRICT'), pa('foo', 'a', 'DISABLE')], finance)).toBe('STRICT');
    const workloadLevel = [pa('foo', 'w1', 'STRICT', { version: 'v1' }), pa('foo', 'w2', 'DISABLE', { app: 'finance' })];
    expect(effectiveMtlsMode(workloadLevel, finance)).toBe('STRICT');
  });

  it('ignores selector policies in the root namespace and in other namespaces', () => {
    expect(effectiveMtlsMode([pa('istio-system', 'sel', 'STRICT', { app: 'finance' })], finance)).toBe('PERMISSIVE');
    expect(effectiveMtlsMode([pa('bar', 'sel', 'STRICT', { app: 'finance' })], finance)).toBe('PERMISSIVE');
  });
});

describe('what a mode accepts', () => {
  it('STRICT rejects a plaintext client and accepts a sidecar client (semantics §13 L)', () => {
    const mode = effectiveMtlsMode([pa('foo', 'default', 'STRICT')], finance);
    expect(acceptsPlaintext(mode)).toBe(false);
    expect(acceptsMtls(mode)).toBe(true);
    expect(autoMtlsUsesTls(mode, true)).toBe(true);
  });

  it('PERMISSIVE accepts both; DISABLE accepts plaintext only and auto mTLS then sends plaintext', () => {
    expect([acceptsPlaintext('PERMISSIVE'), acceptsMtls('PERMISSIVE')]).toEqual([true, true]);
    expect([acceptsPlaintext('DISABLE'), acceptsMtls('DISABLE')]).toEqual([true, false]);
    expect(autoMtlsUsesTls('DISABLE', true)).toBe(false);
    expect(autoMtlsUsesTls('STRICT', false)).toBe(false);
  });

  it('ztunnel treats DISABLE as PERMISSIVE and keeps STRICT', () => {
    expect(ztunnelMtlsMode('DISABLE')).toBe('PERMISSIVE');
    expect(ztunnelMtlsMode('STRICT')).toBe('STRICT');
  });
});

describe('peerAuthenticationWarnings', () => {
  it('reports ignored duplicates and root-namespace selector policies', () => {
    const warnings = peerAuthenticationWarnings([
      pa('foo', 'first', 'STRICT'),
      pa('foo', 'second', 'PERMISSIVE'),
      pa('istio-system', 'mesh', 'STRICT'),
      pa('istio-system', 'mesh2', 'DISABLE'),
      pa('istio-system', 'sel', 'STRICT', { app: 'x' }),
      pa('foo', 'workload', 'STRICT', { app: 'finance' }),
    ]);
    expect(warnings.map((w) => w.policy)).toEqual(['foo/second', 'istio-system/mesh2', 'istio-system/sel']);
    expect(warnings[0]?.message).toMatch(/foo\/first already exists.*foo\/second is ignored/);
    expect(warnings[1]?.message).toMatch(/^mesh-level/);
  });
});
