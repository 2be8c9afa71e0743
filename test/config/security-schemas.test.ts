/**
 * The Istio security schemas (src/config/istio/security-schemas.ts) and the DestinationRule
 * outlierDetection schema (src/config/istio/outlier-schema.ts): real Istio YAML is accepted with
 * Istio's field names; invalid values fail with Istio-like messages naming the field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  outlierDetectionSchema,
  outlierDetectionWarnings,
  parseIstioDuration,
  parseOutlierDetection,
} from '../../src/config/istio/outlier-schema.js';
import {
  authorizationPolicySpec,
  parseAuthorizationPolicy,
  parsePeerAuthentication,
  peerAuthenticationSpec,
} from '../../src/config/istio/security-schemas.js';
import { outlierConfigFromIstio } from '../../src/config/istio/outlier-config.js';

const failures = (r: { success: boolean; messages?: string[] }) => (r.success ? [] : (r.messages ?? []));

describe('PeerAuthentication', () => {
  it('accepts the istio/api examples in v1 and v1beta1', () => {
    const docs = parseAllDocuments(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: finance
  namespace: foo
  creationTimestamp: "2024-01-01T00:00:00Z"
  uid: 3f1c
spec:
  selector:
    matchLabels:
      app: finance
  mtls:
    mode: UNSET
  portLevelMtls:
    8080:
      mode: DISABLE
`).map((d) => parsePeerAuthentication(d.toJS()));
    expect(docs.map(failures)).toEqual([[], []]);
    expect(docs[0]).toMatchObject({ success: true, data: { name: 'default', namespace: 'foo', spec: { mtls: { mode: 'STRICT' } } } });
    expect(docs[1]).toMatchObject({ success: true, data: { spec: { portLevelMtls: { 8080: { mode: 'DISABLE' } } } } });
  });

  it('defaults the namespace and treats a missing spec as {}', () => {
    const r = parsePeerAuthentication({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p' } }, 'shop');
    expect(r).toMatchObject({ success: true, data: { name: 'p', namespace: 'shop', spec: {} } });
  });

  it('rejects an unknown mTLS mode', () => {
    expect(
      failures(
        parsePeerAuthentication(
          parse('{apiVersion: security.istio.io/v1, kind: PeerAuthentication, metadata: {name: p}, spec: {mtls: {mode: STRICTT}}}'),
        ),
      ),
    ).toEqual(['spec.mtls.mode: unknown mTLS mode: use UNSET, DISABLE, PERMISSIVE or STRICT (got "STRICTT")']);
  });

  it('requires a selector for portLevelMtls and ports in 1..65535', () => {
    expect(
      failures(
        parsePeerAuthentication(
          parse(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p}
spec:
  mtls: {mode: STRICT}
  portLevelMtls:
    0: {mode: PERMISSIVE}
`),
        ),
      ),
    ).toEqual(['spec.portLevelMtls: portLevelMtls requires selector', 'spec.portLevelMtls.0: port must be between 1-65535 (got "0")']);
  });

  it('rejects unknown fields, wildcard selectors, wrong apiVersion and kind', () => {
    expect(peerAuthenticationSpec.safeParse({ mode: 'STRICT' }).success).toBe(false);
    expect(
      failures(
        parsePeerAuthentication({
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'p' },
          spec: { mode: 'STRICT' },
        }),
      ),
    ).toEqual(['spec.mode: unknown field "mode"']);
    expect(
      failures(
        parsePeerAuthentication({
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'p' },
          spec: { selector: { matchLabels: { app: 'web*' } } },
        }),
      ),
    ).toEqual(['spec.selector.matchLabels.app: wildcard not allowed in label value match']);
    expect(
      failures(parsePeerAuthentication({ apiVersion: 'security.istio.io/v1alpha1', kind: 'PeerAuthentication', metadata: { name: 'p' } })),
    ).toEqual([
      expect.stringMatching(/^apiVersion: PeerAuthentication apiVersion must be security.istio.io\/v1 or security.istio.io\/v1beta1/),
    ]);
    expect(
      parsePeerAuthentication({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p' } }).success,
    ).toBe(false);
  });
});

describe('AuthorizationPolicy', () => {
  it('accepts the istio/api examples (principals, paths, JWT claims, targetRefs, CUSTOM)', () => {
    const docs = parseAllDocuments(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin, namespace: foo}
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/sleep"]
    - source:
        namespaces: ["test"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    - operation:
        methods: ["POST"]
        paths: ["/data"]
    when:
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: foo}
spec:
  action: DENY
  rules:
  - {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: foo}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: waypoint-l7, namespace: foo}
spec:
  targetRefs:
  - kind: Service
    group: ""
    name: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        serviceAccounts: ["default/sleep", "curl"]
        ipBlocks: ["10.0.0.0/8", "2001:db8::/32"]
        notRemoteIpBlocks: ["203.0.113.4"]
    to:
    - operation: {ports: ["8000"], notPaths: ["/admin/{**}"]}
    when:
    - key: request.headers[version]
      values: ["v1", "v2"]
    - key: destination.port
      notValues: ["9090"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: istio-system}
spec:
  selector:
    matchLabels: {app: istio-ingressgateway}
  action: CUSTOM
  provider:
    name: my-custom-authz
  rules:
  - to:
    - operation:
        paths: ["/admin/*"]
`).map((d) => parseAuthorizationPolicy(d.toJS()));
    expect(docs.map(failures)).toEqual([[], [], [], [], []]);
    expect(docs[2]).toMatchObject({ success: true, data: { name: 'allow-nothing', spec: {} } });
    expect(docs[1]).toMatchObject({ success: true, warnings: [] });
  });

  it('rejects an unknown action', () => {
    expect(
      failures(
        parseAuthorizationPolicy({
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: 'a' },
          spec: { action: 'REJECT', rules: [{}] },
        }),
      ),
    ).toEqual(['spec.action: unknown action: use ALLOW, DENY, AUDIT or CUSTOM (got "REJECT")']);
  });

  it("enforces Istio's action rules: DENY and CUSTOM need rules, CUSTOM needs a provider, others must not have one", () => {
    const msgs = (spec: unknown) =>
      failures(
        parseAuthorizationPolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'a' }, spec }),
      );
    expect(msgs({ action: 'DENY' })).toEqual([expect.stringMatching(/^spec.action: DENY action without `rules` is meaningless/)]);
    expect(msgs({ action: 'CUSTOM' })).toEqual([expect.stringMatching(/^spec.action: CUSTOM action without `rules` is meaningless/)]);
    expect(msgs({ action: 'CUSTOM', rules: [{}] })).toEqual(['spec.provider: `provider.name` must not be empty']);
    expect(msgs({ action: 'CUSTOM', provider: { name: 'x' }, rules: [{ from: [{ source: { principals: ['a'] } }] }] })).toEqual([
      'spec.rules[0].from[0].source.principals: From.Principals is currently not supported with CUSTOM action',
    ]);
    expect(msgs({ provider: { name: 'x' }, rules: [{}] })).toEqual([
      'spec.provider: `provider` must not be with non CUSTOM action, found ALLOW',
    ]);
    expect(msgs({ selector: { matchLabels: { app: 'x' } }, targetRefs: [{ kind: 'Service', name: 'x' }] })).toEqual([
      'spec.selector: only one of targetRefs or workloadSelector can be set',
    ]);
  });

  it('rejects empty from/to/source/operation, bad IPs and ports, and mixed serviceAccounts', () => {
    const r = authorizationPolicySpec.safeParse(
      parse(`
rules:
- from: []
  to: [{operation: {}}]
- from: [{source: {}}]
- from: [{source: {principals: [a], serviceAccounts: [b/c], ipBlocks: ["10.0.0.300", "1.2.3.4/40"]}}]
  to: [{operation: {ports: ["70000", "http"], methods: [""]}}]
`),
    );
    expect(r.success).toBe(false);
    const messages = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      'rules.0.from: `from` must not be empty',
      'rules.0.to.0.operation: `to.operation` must not be empty',
      'rules.1.from.0.source: `from.source` must not be empty',
      'rules.2.from.0.source.serviceAccounts: cannot set serviceAccounts with namespaces or principals',
      'rules.2.from.0.source.ipBlocks.0: bad IP address (10.0.0.300)',
      'rules.2.from.0.source.ipBlocks.1: bad CIDR range (1.2.3.4/40)',
      'rules.2.to.0.operation.methods.0: empty value not allowed, found in methods',
      'rules.2.to.0.operation.ports.0: bad port (70000)',
      'rules.2.to.0.operation.ports.1: bad port (http)',
    ]);
  });

  it("validates condition keys and values like Istio's ValidateAttribute", () => {
    const r = authorizationPolicySpec.safeParse({
      rules: [
        {
          when: [
            { key: 'request.foo', values: ['a'] },
            { key: 'destination.namespace', values: ['a'] },
            { key: 'request.headers', values: ['a'] },
            { key: 'source.ip', values: ['10.0.0.0/33'] },
            { key: 'destination.port', notValues: ['99999'] },
            { key: 'source.principal' },
            { key: 'source.serviceAccount', values: ['ns/*'] },
          ],
        },
      ],
    });
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      'unknown attribute: request.foo',
      'attribute destination.namespace is replaced by the metadata.namespace',
      'bad key (request.headers): should have format a[b]',
      'bad CIDR range (10.0.0.0/33)',
      'bad port (99999)',
      'at least one of `values` or `notValues` must be set for key source.principal',
      'wildcard not allowed, found in values',
    ]);
  });

  it('warns when a DENY rule uses only HTTP attributes (it would deny all TCP traffic)', () => {
    const doc = (rules: unknown) =>
      parseAuthorizationPolicy({
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'd', namespace: 'foo' },
        spec: { action: 'DENY', rules },
      });
    expect(doc([{ to: [{ operation: { methods: ['POST'] } }] }])).toMatchObject({
      success: true,
      warnings: [{ path: ['spec', 'rules', 0], message: expect.stringMatching(/deny all traffic to TCP ports/) }],
    });
    expect(doc([{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }])).toMatchObject({ success: true, warnings: [] });
    expect(doc([{ from: [{ source: { requestPrincipals: ['*'] } }] }])).toMatchObject({
      success: true,
      warnings: [{ path: ['spec', 'rules', 0] }],
    });
  });
});

describe('DestinationRule outlierDetection', () => {
  it("reads the circuit-breaking task's DestinationRule, durations in microseconds", () => {
    const dr = parse(readFileSync('/work/shared/fixtures/istio/tasks__circuit-breaking__httpbin-destinationrule.yaml', 'utf8'));
    const r = parseOutlierDetection(dr.spec.trafficPolicy.outlierDetection);
    expect(r).toEqual({
      success: true,
      warnings: [],
      data: { consecutive5xxErrors: 1, interval: 1_000_000, baseEjectionTime: 180_000_000, maxEjectionPercent: 100 },
    });
    if (r.success)
      expect(outlierConfigFromIstio(r.data)).toMatchObject({
        consecutive5xx: 1,
        intervalUs: 1e6,
        baseEjectionTimeUs: 180e6,
        maxEjectionTimeUs: 300e6,
        maxEjectionPercent: 100,
      });
  });

  it('accepts every Istio field and Go-style compound durations', () => {
    expect(
      parseOutlierDetection({
        consecutive5xxErrors: 0,
        consecutiveGatewayErrors: 3,
        splitExternalLocalOriginErrors: true,
        consecutiveLocalOriginFailures: 2,
        interval: '1m30s',
        baseEjectionTime: '1.5s',
        maxEjectionPercent: 50,
        minHealthPercent: 0,
      }),
    ).toMatchObject({ success: true, data: { interval: 90_000_000, baseEjectionTime: 1_500_000 } });
    expect([parseIstioDuration('250ms'), parseIstioDuration('1h2m'), parseIstioDuration('10'), parseIstioDuration('')]).toEqual([
      250_000,
      3_720_000_000,
      undefined,
      undefined,
    ]);
  });

  it('rejects negative counts, out-of-range percentages and sub-millisecond durations', () => {
    const msgs = (od: unknown) => failures(parseOutlierDetection(od));
    expect(msgs({ consecutive5xxErrors: -1 })).toEqual(['consecutive5xxErrors: cannot be negative (got -1)']);
    expect(msgs({ consecutiveGatewayErrors: 2.5 })).toEqual(['consecutiveGatewayErrors: must be a whole number (got 2.5)']);
    expect(msgs({ maxEjectionPercent: 101 })).toEqual(['maxEjectionPercent: percentage is not in range 0..100 (got 101)']);
    expect(msgs({ minHealthPercent: -5 })).toEqual(['minHealthPercent: percentage is not in range 0..100 (got -5)']);
    expect(msgs({ interval: '500us' })).toEqual(['interval: duration must be greater than 1ms (got "500us")']);
    expect(msgs({ baseEjectionTime: '1.0005s' })).toEqual([
      'baseEjectionTime: only durations to ms precision are supported (got "1.0005s")',
    ]);
    expect(msgs({ interval: 'soon' })).toEqual(['interval: invalid duration "soon": use e.g. 10s, 250ms, 1m or 1m30s']);
    expect(msgs({ consecutive5xxErors: 5 })).toEqual(['consecutive5xxErors: unknown field "consecutive5xxErors"']);
  });

  it('requires splitExternalLocalOriginErrors for consecutiveLocalOriginFailures', () => {
    expect(failures(parseOutlierDetection({ consecutiveLocalOriginFailures: 3 }))).toEqual([
      'consecutiveLocalOriginFailures: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
    ]);
  });

  it('accepts the deprecated consecutiveErrors with a warning', () => {
    const r = parseOutlierDetection({ consecutiveErrors: 7 });
    expect(r).toMatchObject({
      success: true,
      warnings: [{ path: ['consecutiveErrors'], message: expect.stringMatching(/consecutive errors is deprecated/) }],
    });
  });

  it('warns when maxEjectionPercent can never eject one of the endpoints, or the gateway threshold is shadowed', () => {
    const od = outlierDetectionSchema.parse({ consecutive5xxErrors: 5, consecutiveGatewayErrors: 5 });
    expect(outlierDetectionWarnings(od, { endpoints: 3 }).map((w) => w.message)).toEqual([
      'consecutiveGatewayErrors (5) >= consecutive5xxErrors (5) has no effect: gateway errors are also 5xx errors',
      'with 3 endpoint(s), maxEjectionPercent 10% can never eject a host (one host is 33.3%); set maxEjectionPercent to at least 34',
    ]);
    expect(outlierDetectionWarnings(outlierDetectionSchema.parse({ maxEjectionPercent: 50 }), { endpoints: 2 })).toEqual([]);
  });
});
