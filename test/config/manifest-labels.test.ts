/**
 * Kubernetes manifests as real repositories write them: label values follow Kubernetes' own rule
 * (k8s.io/apimachinery pkg/util/validation IsValidLabelValue: dots, underscores, upper case), pod
 * names stay valid, and a warning about a Service points at that Service's document.
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioSource } from '../../src/config/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { podNamePart } from '../../src/world/build.js';

const scenario = (istio: string) =>
  new YamlSource(
    's.yaml',
    `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: labels}
spec:
  duration: 5s
  mesh: {mode: sidecar}
  workload:
    - {name: users, target: balancereader, rate: 10}
  istio: |
${istio
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`,
  );

describe('Kubernetes label values in manifests', () => {
  it('a version label with dots (bank-of-anthos `version: v0.5.3`) keeps the Service', () => {
    const { scenario: s, warnings } = parseScenarioSource(
      scenario(`
apiVersion: v1
kind: Service
metadata: {name: balancereader}
spec: {selector: {app: balancereader}, ports: [{port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: balancereader}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: balancereader, version: v0.5.3}}
`),
    );
    expect(warnings.map((w) => w.message)).not.toContainEqual(expect.stringMatching(/cannot be modelled/));
    const svc = s.services.find((x) => x.name === 'balancereader');
    expect(svc?.versions.map((v) => v.name)).toEqual(['v0.5.3']);
  });
  it('a warning about a Service points at its document, not at line 1', () => {
    const warnings = parseScenarioSource(
      scenario(`
apiVersion: v1
kind: Service
metadata: {name: balancereader}
spec: {selector: {app: balancereader}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
`),
    ).warnings.filter((w) => w.message.includes('lonely'));
    expect(warnings[0]?.line).toBe(17);
  });
  it('pod names derived from versions stay DNS-1123 subdomains and distinct', () => {
    expect(podNamePart('v1')).toBe('v1');
    expect(podNamePart('v0.5.3')).toBe('v0.5.3');
    expect(podNamePart('V1')).toMatch(/^v1-[a-z0-9]+$/);
    expect(podNamePart('canary_A')).toMatch(/^canary-a-[a-z0-9]+$/);
    expect(podNamePart('V1')).not.toBe(podNamePart('v1'));
  });
});
