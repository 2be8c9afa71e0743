/**
 * Linkerd inbound authorization (https://linkerd.io/2.18/reference/authorization-policy/,
 * https://linkerd.io/2-edge/features/server-policy/): default all-unauthenticated; a Server makes
 * its port default-deny; AuthorizationPolicy with MeshTLSAuthentication; 403 for HTTP, refused TCP.
 */
import { describe, expect, it } from 'vitest';
import { authorizationPolicySpec, meshTlsAuthenticationSpec, serverSpec } from '../../../src/config/linkerd/policy-schemas.js';
import { decideLinkerdInbound, type LinkerdPolicySet } from '../../../src/policy/linkerd/authorization.js';

const base: LinkerdPolicySet = {
  defaultPolicy: 'all-unauthenticated',
  servers: [],
  authorizationPolicies: [],
  serverAuthorizations: [],
  meshTls: [],
  networks: [],
};
const req = {
  namespace: 'emojivoto',
  podLabels: { app: 'voting' },
  port: 8080,
  http: true,
  client: { serviceAccount: 'web', namespace: 'emojivoto' },
};

describe('Linkerd inbound authorization', () => {
  it('allows everything under the default all-unauthenticated policy', () => {
    expect(decideLinkerdInbound(base, { ...req, client: undefined })).toMatchObject({ allowed: true });
  });
  it('all-authenticated refuses unmeshed clients', () => {
    expect(decideLinkerdInbound({ ...base, defaultPolicy: 'all-authenticated' }, { ...req, client: undefined })).toMatchObject({
      allowed: false,
      response: 'http-403',
    });
  });
  const server = {
    name: 'voting-grpc',
    namespace: 'emojivoto',
    spec: serverSpec.parse({ podSelector: { matchLabels: { app: 'voting' } }, port: 8080 }),
  };
  it('a Server without authorizations denies its port: 403 for HTTP, refused for opaque TCP', () => {
    const set = { ...base, servers: [server] };
    expect(decideLinkerdInbound(set, req)).toMatchObject({ allowed: false, response: 'http-403' });
    expect(decideLinkerdInbound(set, { ...req, http: false })).toMatchObject({ allowed: false, response: 'tcp-refused' });
    expect(decideLinkerdInbound(set, { ...req, port: 9090 })).toMatchObject({ allowed: true }); // other ports: default policy
  });
  it('an AuthorizationPolicy with a MeshTLSAuthentication admits the listed identity only', () => {
    const set: LinkerdPolicySet = {
      ...base,
      servers: [server],
      meshTls: [
        {
          name: 'web-only',
          namespace: 'emojivoto',
          spec: meshTlsAuthenticationSpec.parse({ identities: ['web.emojivoto.serviceaccount.identity.linkerd.cluster.local'] }),
        },
      ],
      authorizationPolicies: [
        {
          name: 'voting-from-web',
          namespace: 'emojivoto',
          spec: authorizationPolicySpec.parse({
            targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'voting-grpc' },
            requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web-only' }],
          }),
        },
      ],
    };
    expect(decideLinkerdInbound(set, req)).toMatchObject({ allowed: true, by: 'AuthorizationPolicy/voting-from-web' });
    expect(decideLinkerdInbound(set, { ...req, client: { serviceAccount: 'vote-bot', namespace: 'emojivoto' } })).toMatchObject({
      allowed: false,
    });
  });
});
