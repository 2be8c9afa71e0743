/**
 * Cilium policy decision: https://docs.cilium.io/en/stable/security/policy/layer7/ (L7 403,
 * "a request is permitted if at least one of the rules matches"), /deny/ (deny wins), the
 * star-wars example (cilium/cilium examples/minikube/sw_l3_l4_l7_policy.yaml).
 */
import { describe, expect, it } from 'vitest';
import { ciliumRule } from '../../../src/config/cilium/network-policy.js';
import { decideCilium, type CiliumPolicy, type CiliumRequest } from '../../../src/policy/cilium/network-policy.js';
import { encryptionCharge } from '../../../src/policy/cilium/encryption.js';

const rule = (r: unknown) => ciliumRule.parse(r);
const l7: CiliumPolicy = {
  name: 'rule1',
  namespace: 'default',
  rules: [
    rule({
      endpointSelector: { matchLabels: { org: 'empire', class: 'deathstar' } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { org: 'empire' } }],
          toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'POST', path: '/v1/request-landing' }] } }],
        },
      ],
    }),
  ],
};
const deathstar = { namespace: 'default', labels: { org: 'empire', class: 'deathstar' }, inCluster: true };
const tiefighter = { namespace: 'default', labels: { org: 'empire', class: 'tiefighter' }, inCluster: true };
const xwing = { namespace: 'default', labels: { org: 'alliance', class: 'xwing' }, inCluster: true };
const req = (src: CiliumRequest['src'], method: string, path: string, port = 80): CiliumRequest => ({
  src,
  dst: deathstar,
  port,
  method,
  path,
});

describe('Cilium network policy decision', () => {
  it('L7 rule: a matching request is forwarded through the node Envoy', () => {
    expect(decideCilium([l7], req(tiefighter, 'POST', '/v1/request-landing'))).toMatchObject({ verdict: 'forwarded', l7: true });
  });
  it('L7 rule: a non-matching request from an allowed peer gets a 403 (answered, not dropped)', () => {
    expect(decideCilium([l7], req(tiefighter, 'PUT', '/v1/exhaust-port'))).toMatchObject({ verdict: 'l7-denied', direction: 'ingress' });
  });
  it('L3/L4: a peer no rule allows is dropped silently (the client times out)', () => {
    expect(decideCilium([l7], req(xwing, 'POST', '/v1/request-landing'))).toMatchObject({ verdict: 'dropped', direction: 'ingress' });
  });
  it('endpoints no policy selects stay default-allow, in eBPF only', () => {
    expect(decideCilium([l7], { ...req(xwing, 'GET', '/'), dst: tiefighter })).toMatchObject({
      verdict: 'forwarded',
      l7: false,
      enforcedBy: undefined,
    });
  });
  it('an L4-only allow for the same peer and port makes the L7 rules ineffective', () => {
    const l4: CiliumPolicy = {
      name: 'l4',
      namespace: 'default',
      rules: [
        rule({
          endpointSelector: { matchLabels: { class: 'deathstar' } },
          ingress: [{ fromEndpoints: [{ matchLabels: { org: 'empire' } }], toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] }],
        }),
      ],
    };
    expect(decideCilium([l7, l4], req(tiefighter, 'PUT', '/v1/exhaust-port'))).toMatchObject({ verdict: 'forwarded', l7: false });
  });
  it('deny rules take precedence over allow rules', () => {
    const deny: CiliumPolicy = {
      name: 'deny',
      namespace: 'default',
      rules: [
        rule({
          endpointSelector: { matchLabels: { class: 'deathstar' } },
          ingressDeny: [{ fromEndpoints: [{ matchLabels: { class: 'tiefighter' } }] }],
        }),
      ],
    };
    expect(decideCilium([l7, deny], req(tiefighter, 'POST', '/v1/request-landing'))).toMatchObject({
      verdict: 'dropped',
      enforcedBy: 'deny',
    });
  });
  it('a namespaced policy selects peers in its own namespace only', () => {
    expect(decideCilium([l7], req({ ...tiefighter, namespace: 'other' }, 'POST', '/v1/request-landing'))).toMatchObject({
      verdict: 'dropped',
    });
  });
  it('egress rules are enforced on the client side', () => {
    const eg: CiliumPolicy = {
      name: 'eg',
      namespace: 'default',
      rules: [
        rule({ endpointSelector: { matchLabels: { class: 'xwing' } }, egress: [{ toEndpoints: [{ matchLabels: { class: 'none' } }] }] }),
      ],
    };
    expect(decideCilium([eg], req(xwing, 'GET', '/'))).toMatchObject({ verdict: 'dropped', direction: 'egress' });
  });
});

describe('Cilium transparent encryption', () => {
  const costs = { cpuPerKBUs: 0.3, cpuPerPacketUs: 1, latencyUs: 10, mtuBytes: 1500 };
  it('WireGuard is off for same-node traffic', () => {
    expect(encryptionCharge('wireguard', 'node-0', 'node-0', 10_000, costs)).toEqual({ encrypted: false, cpuUsEachSide: 0, latencyUs: 0 });
  });
  it('WireGuard charges per KB and per packet between nodes', () => {
    const c = encryptionCharge('wireguard', 'node-0', 'node-1', 3000, costs);
    expect(c.encrypted).toBe(true);
    expect(c.cpuUsEachSide).toBeCloseTo(0.9 + 2);
  });
  it('disabled encryption costs nothing', () => {
    expect(encryptionCharge('disabled', 'a', 'b', 3000, costs).encrypted).toBe(false);
  });
});
