/**
 * A VirtualService bound to gateways without `mesh` does not route mesh traffic: istio/api
 * networking/v1alpha3/virtual_service.proto `gateways` ("If a list of gateway names is provided,
 * the rules will apply only to the gateways. To apply the rules to both gateways and sidecars,
 * specify mesh as one of the gateway names."). Bookinfo's `bookinfo` VirtualService (hosts "*",
 * gateways [bookinfo-gateway], only /productpage, /static …) must not send productpage's calls
 * to details to 404 NR.
 */
import { describe, expect, it } from 'vitest';
import { edge, run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const scenario = (gateways: string) =>
  scenarioFromYaml(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: vs-gateways}
spec:
  duration: 5s
  mesh: {mode: sidecar}
  services:
    - name: productpage
      serviceTime: 1ms
      calls: [{service: details, path: /details/0}]
    - name: details
      serviceTime: 1ms
  workload:
    - {name: users, target: productpage, rate: 20, requests: [{path: /productpage}]}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: bookinfo}
    spec:
      hosts: ["*"]
      gateways: ${gateways}
      http:
      - match: [{uri: {exact: /productpage}}]
        route: [{destination: {host: productpage, port: {number: 8080}}}]
`);

describe('VirtualService gateways', () => {
  it('bound only to a gateway: sidecars ignore it (details answers 200)', () => {
    const r = run(scenario('[bookinfo-gateway]'));
    expect(edge(r, 'productpage', 'details').by_code).toEqual({ '200': edge(r, 'productpage', 'details').requests });
  });
  it('with mesh among its gateways: sidecars apply it (no rule matches /details/0: 404 NR)', () => {
    const r = run(scenario('[bookinfo-gateway, mesh]'));
    const e = edge(r, 'productpage', 'details');
    expect(e.by_code['404']).toBe(e.requests);
    expect(e.by_flag.NR).toBe(e.requests);
  });
});
