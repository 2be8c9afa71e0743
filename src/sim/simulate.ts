/** One simulation: scenario + seed + mode → everything the reports need. Pure: no I/O, no wall clock. */
import { RandomStreams } from '../kernel/random.js';
import { Simulator, type ScheduledEvent } from '../kernel/simulator.js';
import { InsertionList } from '../kernel/insertion-list.js';
import { stableRecord } from '../kernel/stable-shapes.js';
import type { MeshMode, RequestShape, Scenario } from '../config/model.js';
import { buildCluster, type Cluster } from '../world/build.js';
import { NO_MESH_REQUESTS, planCluster, requestsPlacement, type ClusterPlan } from '../k8s/placement.js';
import type { AppCall } from '../world/call.js';
import type { Caller, PodRt, ServiceRt } from '../world/entities.js';
import { scheduleFaults } from '../faults/schedule.js';
import { PodBehaviour } from '../world/pod.js';
import { startWorkload } from '../world/workload.js';
import { meshMode } from '../modes/registry.js';
import { startKubernetes } from './kube.js';
import { startHpas } from './hpa.js';
import { startClusterAutoscaler, type AutoscaleRun } from './autoscale.js';
import type { HpaTrace, ReplicaTrace } from '../k8s/hpa-runtime.js';
import type { KubeCluster } from '../k8s/cluster.js';
import { MeshPolicy, type CompiledRoute } from '../policy/mesh-policy.js';
import { ingressGateway, pickListener } from '../policy/gateway-routes.js';
import { IngressGateways, type GatewayStats, type IngressEntry } from '../dataplane/ingress.js';
import { EgressGateway } from '../dataplane/egress.js';
import { meshServices } from '../config/egress-gateway.js';
import type { IstioConfig } from '../config/istio/resources.js';
import type { CostProfile } from '../config/profile.js';
import type { CallDone, CallResult } from '../dataplane/plane.js';
import type { MeshPlane } from '../modes/mode.js';
import { EdgeTable } from '../record/edges.js';
import { RequestStats } from '../record/requests.js';
import { CrossZoneTraffic } from '../record/cross-zone.js';
import { crossesZones } from '../dataplane/network.js';
import { Timeline } from '../record/timeline.js';
import type { RunObserver } from '../telemetry/observer.js';
import { configScoping, resourceUsage, type ComponentUsage, type ConfigScoping } from '../telemetry/resources.js';
import { fmtCount, type Budget } from './budget.js';
import { planCanaries, type CanaryRun } from './canary.js';

export interface RunOptions {
  seed?: number;
  mode?: MeshMode;
  durationUs?: number;
  /** Outputs that watch every finished call (metrics, time series, traces). */
  observers?: RunObserver[];
  /**
   * Told the simulated time and event count as the run goes (for a progress bar). The run then
   * advances in slices of simulated time; nothing is scheduled between slices, so the outcome is
   * the same as without it.
   */
  progress?: (nowUs: number, events: number) => void;
  /** Work budgets (sim/budget.ts): a run past one stops early, its state marked `partial`. */
  budget?: Budget;
}

/** HTTP 508 Loop Detected (RFC 5842 §7.2): what a call caught in a routing loop gets. */
export const LOOP_STATUS = 508;

/** Slices of simulated time a run with a progress callback advances in. */
const PROGRESS_SLICES = 500;

/** How long past the horizon in-flight end-user requests are followed, at most, and in what steps. */
const DRAIN_LIMIT_US = 600e6;
const DRAIN_STEP_US = 1e6;

export interface SimulationState {
  scenario: Scenario;
  seed: number;
  mode: MeshMode;
  durationUs: number;
  profile: CostProfile;
  sim: Simulator;
  cluster: Cluster;
  plane: MeshPlane;
  endUser: RequestStats;
  edges: EdgeTable;
  timeline: Timeline;
  /** End-user requests that never finished (e.g. hanging on an unreachable pod without a timeout). */
  unfinished: number;
  /** Where the unfinished requests wait: their innermost open calls, by edge. */
  stuck: StuckCalls[];
  /** Replicas over the run of the services an HPA scales (initial, final, max, and at every sync). */
  replicas?: Map<string, ReplicaTrace>;
  /** Every HPA's syncs: current and desired replicas, metrics against targets. */
  hpas?: HpaTrace[];
  /** The cluster autoscaler of `cluster.autoscale`: node changes, node samples, node lifetimes. */
  autoscale?: AutoscaleRun;
  /** Where the t=0 pods went by their requests, and what the cluster needs (nodes, pending pods). */
  plan: ClusterPlan;
  /** The Kubernetes control loops of the run (pods, endpoints, Deployments, nodes, istiod). */
  kube: KubeCluster;
  /** Resources time-averaged over [0, horizon], taken at the horizon. */
  resources: Record<string, ComponentUsage>;
  /** Sidecar scoping's saving (Sidecar resources), when any proxy's config is scoped. */
  scoping?: ConfigScoping;
  /** Requests pods answered for callers in another zone, and the bytes they carried. */
  crossZone: CrossZoneTraffic;
  /** Set when a work budget stopped the run early: why, and when (the results cover [0, atUs]). */
  partial?: { reason: string; atUs: number };
  /** Calls failed with 508 because their chain revisited a service (a routing loop), by edge "caller → service". */
  loops: Map<string, number>;
  /** Flagger Canaries of the run (sidecar mode), with every analysis interval. */
  canaries?: CanaryRun[];
  /** Ingress gateway Deployments that carried workloads from outside the cluster, and the egress gateway. */
  gateways: GatewayStats[];
}

/** Unfinished end-user requests whose innermost open call is `source → destination`. */
export interface StuckCalls {
  source: string;
  destination: string;
  requests: number;
  /** When the oldest of those calls started (s). */
  oldestStartS: number;
  /** Pods that dropped those calls (unreachable: no answer ever came), sorted. */
  droppedBy: string[];
}

/** An application call until its answer: who is told, whether it was, the app's timeout. */
interface TrackedCall extends AppCall {
  readonly done: CallDone;
  answered: boolean;
  timer: ScheduledEvent | undefined;
}

export function simulate(scenario: Scenario, options: RunOptions = {}): SimulationState {
  const seed = options.seed ?? scenario.seed;
  const mode = options.mode ?? scenario.mesh.mode;
  const durationUs = options.durationUs ?? scenario.durationUs;
  const warmupUs = Math.min(scenario.warmupUs, durationUs);
  const sim = new Simulator();
  const streams = new RandomStreams(seed);
  const base = scenario.costProfile;
  const profile = { ...base, prices: { ...base.prices, ...scenario.cost } };
  // Placement by requests (kube-scheduler-like) when the scenario asks for it; the plan is computed
  // either way, for the node counts and costs in results.json.
  const modeDef = meshMode(mode);
  const plan = planCluster(scenario, modeDef.requests ?? NO_MESH_REQUESTS);
  const placed = scenario.placement === 'requests';
  const cluster = buildCluster(
    placed ? { ...scenario, nodes: plan.nodes } : scenario,
    streams,
    placed ? (key, i) => plan.placement.get(`${key}/${i}`) ?? null : undefined,
  );
  for (const n of cluster.nodes) n.cpu.clock = sim;
  const timeline = new Timeline(sim);
  const edges = new EdgeTable();
  const endUser = new RequestStats();
  const observers = options.observers ?? [];
  let inFlight = 0;
  /** In flight among the requests the statistics count (started after warmup). */
  let inFlightMeasured = 0;
  /** Application-level calls not answered yet, to say where unfinished requests wait. */
  const open = new InsertionList<AppCall>();
  /** The pod that silently dropped a call still open (its last attempt). */
  const droppedAt = new Map<AppCall, PodRt>();

  // Every application-level call goes through here, so edges see the status the app finally got.
  let nextCallId = 1;
  const edgeCall = (
    caller: Caller,
    target: ServiceRt,
    req: RequestShape,
    parent: AppCall | undefined,
    done: CallDone,
    timeoutUs?: number,
    owner?: unknown,
    route?: CompiledRoute,
  ): void => {
    const startUs = sim.now;
    const call: TrackedCall = {
      id: nextCallId++,
      parent,
      caller,
      service: target,
      req,
      startUs,
      rootStartUs: parent ? parent.rootStartUs : startUs,
      depth: parent ? parent.depth + 1 : 0,
      route,
      traceRoot: parent?.service.model.propagatesTraceHeaders ? (parent.traceRoot ?? parent) : undefined,
      listSlot: 0,
      owner,
      done,
      answered: false,
      timer: undefined,
    };
    open.add(call);
    if (nextCallId > callsAllowed || open.size > inFlightAllowed) checkBudget();
    // An app-level timeout: the caller stops waiting and sees no response (status 0); the late
    // answer, when it comes, is dropped by the app.
    if (timeoutUs !== undefined) call.timer = sim.scheduleCancellable(timeoutUs, timedOut, call);
    // The declared call graph is acyclic (the loader checks), so a chain longer than the number of
    // services revisits one: VirtualService routing sent it round a loop. Envoy would forward it
    // until something gave out; the run answers 508 Loop Detected and warns instead.
    if (call.depth > loopDepth) loopDetected(call);
    else plane.call(call, callDone);
  };
  const loopDetected = (call: TrackedCall): void => {
    const edge = `${call.caller.edgeName} → ${call.service.model.key}`;
    loops.set(edge, (loops.get(edge) ?? 0) + 1);
    callDone({ status: LOOP_STATUS, flags: '', mtls: false }, call);
  };

  /**
   * A call has its result (or its app gave up waiting): one function for every call, which the
   * data plane hands back (a proxy's copy of a rewritten request leads to the app's own call).
   */
  const callDone = (r: CallResult, answering: AppCall): void => {
    const call = (answering.original ?? answering) as TrackedCall;
    if (call.answered) return;
    call.answered = true;
    open.delete(call);
    if (droppedAt.size > 0) droppedAt.delete(call);
    sim.cancel(call.timer);
    if (call.rootStartUs >= warmupUs) {
      const e = edges.get(call.caller.edgeName, call.service.model.key);
      // A gateway pod (the egress gateway a route sent the call to) has no version.
      e.record(
        r.status,
        r.flags,
        sim.now - call.startUs,
        r.pod?.service.model.envoyOnly ? undefined : r.pod?.version.name,
        r.mtls,
        r.local,
      );
      if (r.pod && !r.local && crossesZones(call.caller.node, r.pod)) e.crossZoneCalls++;
    }
    if (observers.length) notifyCall(r, call);
    call.done(r, call);
  };
  // Apart from callDone, which V8 inlines per call: a run nothing observes this way skips it.
  const notifyCall = (r: CallResult, call: TrackedCall): void => {
    // One record for every observer (they only read it).
    const record = {
      call,
      status: r.status,
      flags: r.flags,
      mtls: r.mtls,
      pod: r.pod,
      endUs: sim.now,
      cluster: r.cluster,
      serverFlags: r.serverFlags,
      ...(r.responseHeaders ? { responseHeaders: r.responseHeaders } : {}),
    };
    for (const o of observers) o.onCall(record);
  };
  const timedOut = (call: TrackedCall): void => callDone({ status: 0, flags: '', mtls: false }, call);

  // Work budgets: a runaway run stops with what it has, marked partial (sim/budget.ts).
  const budget = options.budget;
  if (budget) sim.eventLimit = budget.maxEvents;
  let partial: SimulationState['partial'];
  const loops = new Map<string, number>();
  const loopDepth = scenario.services.length + 1;
  // Each call compares two numbers; only a call over a limit goes further (Infinity: no budget).
  const callsAllowed = budget ? budget.maxRequests + 1 : Infinity;
  const inFlightAllowed = budget ? budget.maxInFlight : Infinity;
  const checkBudget = (): void => {
    if (!budget || sim.halted) return;
    const calls = nextCallId - 1;
    if (calls > budget.maxRequests) {
      partial = {
        atUs: sim.now,
        reason: `${fmtCount(calls)} calls, over --max-requests ${fmtCount(budget.maxRequests)} (a retry storm? an overload?); raise --max-requests or lower the rate`,
      };
      sim.halt();
    } else if (open.size > budget.maxInFlight) {
      const worst = busiestPod(cluster);
      const where = worst ? ` (${fmtCount(worst.queued)} queued at pod ${worst.name})` : '';
      partial = {
        atUs: sim.now,
        reason: `${fmtCount(open.size)} calls in flight${where}: the system cannot keep up; raise --max-in-flight (${fmtCount(budget.maxInFlight)}) or lower the rate`,
      };
      sim.halt();
    }
  };

  const pods = new PodBehaviour(sim, edgeCall, warmupUs);
  pods.onDropped = (pod, call) => {
    if (!call.shadow) droppedAt.set(call.original ?? call, pod);
  };
  pods.resolve = (key) => cluster.services.get(key) as ServiceRt;
  // Flagger's Canaries: their initial routes are in force from t=0, their metric windows watch the pods.
  const canaryPlan = planCanaries(scenario, mode, cluster);
  const servedObservers = [...observers.filter((o) => o.onServed), ...(canaryPlan?.observers ?? [])];
  const crossZone = new CrossZoneTraffic();
  pods.onServed = (pod, call, status, arrivedUs, mtls) => {
    crossZone.record(crossesZones(call.caller.node, pod), call.req.requestSize + call.req.responseSize);
    if (servedObservers.length > 0) notifyServed(pod, call, status, arrivedUs, mtls);
  };
  const notifyServed = (pod: PodRt, call: AppCall, status: number, arrivedUs: number, mtls: boolean): void => {
    const record = { pod, call, status, arrivedUs, endUs: sim.now, mtls };
    for (const o of servedObservers) o.onServed?.(record);
  };
  let policy = new MeshPolicy(scenario.istio, meshServices(scenario), {
    outboundTrafficPolicy: scenario.mesh.outboundTrafficPolicy,
    exclude503FromDefaultRetry: profile.features.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY,
    localityLbEnabled: profile.features.localityLbEnabled,
    extensionProviders: scenario.mesh.extensionProviders.filter((p) => p.service !== undefined).map((p) => p.name),
  });
  if (canaryPlan) policy = policy.withChange(canaryPlan.initial);
  // The plane's dependencies are read on the request path: see stableRecord.
  const plane = modeDef.createPlane(
    stableRecord({
      sim,
      streams,
      scenario,
      profile,
      pods,
      policy,
      services: cluster.services,
      timeline,
      pools: observers.find((o) => o.poolOccupancy)?.poolOccupancy,
    }),
    cluster,
    scenario,
  );
  const applyChange = (change: IstioConfig): void => {
    policy = policy.withChange(change);
    plane.setPolicy(policy);
    timeline.add('config_propagated', { resources: describeChange(change) });
  };
  // Config changes (faults[].apply) reach the proxies after the propagation delay.
  for (const f of scenario.faults) {
    const change = f.apply;
    if (!change || f.effectiveUs === undefined) continue;
    sim.at(f.atUs, () => timeline.add('config_applied', { resources: describeChange(change) }), undefined);
    sim.at(f.effectiveUs, () => applyChange(change), undefined);
  }

  const kube = startKubernetes({ sim, mode, cluster, pods, plane, timeline });
  const modeRequests = modeDef.requests ?? NO_MESH_REQUESTS;
  if (placed) {
    // Pods created during the run (HPA scale-ups, replacements, rollouts) are scheduled by their
    // requests too, against what the t=0 pods hold; a pod that is gone frees its requests.
    const scheduler = requestsPlacement(plan.scheduler, modeRequests);
    kube.setPlacement(scheduler);
    kube.onPodEvent((e) => {
      if (e.kind === 'gone') scheduler.release(e.pod);
    });
  }
  // HorizontalPodAutoscalers scale through the pod lifecycle (src/k8s/hpa-runtime.ts).
  const hpa = startHpas({ sim, scenario, mode, profile, api: kube, events: kube.events, services: cluster.services, untilUs: durationUs });
  const canaryRuns = canaryPlan?.start({ sim, kube, timeline, apply: applyChange, untilUs: durationUs });
  // The cluster autoscaler adds nodes for Pending pods and removes unneeded ones (src/k8s/cluster-autoscaler.ts).
  const autoscale = startClusterAutoscaler({ sim, scenario, cluster, kube, plan, plane, modeRequests, untilUs: durationUs });
  scheduleFaults(scenario.faults, {
    sim,
    timeline,
    cluster,
    kube,
    // The app container dies and, while the fault lasts, dies again at every restart (CrashLoopBackOff).
    crash: (pod) => kube.crash(pod, true),
  });

  // Ingress gateways: Envoy Deployments in front of the mesh for workloads from outside the cluster.
  const ingress = new IngressGateways({
    sim,
    profile,
    network: scenario.network,
    nodes: cluster.nodes,
    replicas: scenario.mesh.gatewayReplicas,
    plane,
    services: cluster.services,
    stream: (name) => streams.stream(name),
    inMesh: mode === 'sidecar' || mode === 'ambient',
    forward: (gw, target, req, route, done) => edgeCall(gw, target, req, undefined, done, undefined, undefined, route),
  });
  // The gateway's routes follow config changes: entries are rebuilt from the policy in force.
  let entriesFor: MeshPolicy | undefined;
  const entries = new Map<string, IngressEntry | undefined>();
  const entryOf = (w: (typeof cluster.clients)[number]['model']): IngressEntry | undefined => {
    if (entriesFor !== policy) {
      entries.clear();
      entriesFor = policy;
    }
    if (!entries.has(w.name)) {
      const ref = w.gateway!;
      const gateway = ingressGateway(policy, ref);
      const listener = gateway && pickListener(gateway, ref.host);
      entries.set(w.name, gateway && listener && { gateway, listener, host: ref.host ?? gateway.defaultHost(listener) });
    }
    return entries.get(w.name);
  };
  for (const client of cluster.clients) {
    const d = client.model.gateway && entryOf(client.model)?.gateway.deployment;
    if (d) ingress.podsOf(d);
  }
  plane.proxies.push(...ingress.proxies);
  // Istio's egress gateway, when the config routes through it: VirtualServices bound to `mesh` are
  // sidecar routes, so only sidecars send it anything.
  const egress =
    cluster.egressGateway && modeDef.name === 'sidecar'
      ? new EgressGateway({
          sim,
          profile,
          plane,
          gateway: cluster.egressGateway,
          services: cluster.services,
          policy: () => policy,
          stream: (name) => streams.stream(name),
          forward: (pod, target, req, route, parent, done) => edgeCall(pod, target, req, parent, done, undefined, undefined, route),
          // The sidecar → gateway hop is in-cluster traffic like any pod's (pods.onServed above).
          onRequest: (pod, call) => crossZone.record(crossesZones(call.caller.node, pod), call.req.requestSize + call.req.responseSize),
        })
      : undefined;
  if (egress) {
    pods.envoyOnly = (pod, call, respond, mtls) => egress.handle(pod, call, respond, mtls);
    plane.proxies.push(...egress.proxies);
  }

  /** An end-user request that started at `startUs` has its answer: the counts, its latency, then the workload's `done`. */
  const endUserAnswered = (r: CallResult, startUs: number, done: () => void): void => {
    inFlight--;
    if (startUs >= warmupUs) {
      inFlightMeasured--;
      endUser.record(r.status, r.flags, sim.now - startUs);
    }
    done();
  };
  // A client's direct call carries the workload's `done` as its owner, and started when the request
  // did: one function for every end-user request, no closure and context allocated per request.
  const directAnswered: CallDone = (r, call) => endUserAnswered(r, call.startUs, call.owner as () => void);
  for (const client of cluster.clients) {
    const target = cluster.services.get(client.model.target) as ServiceRt;
    startWorkload(sim, streams, client.model, durationUs, (req, done) => {
      const startUs = sim.now;
      inFlight++;
      if (startUs >= warmupUs) inFlightMeasured++;
      if (!client.model.gateway) {
        edgeCall(client, target, req, undefined, directAnswered, undefined, done);
        return;
      }
      const answered = (r: CallResult) => endUserAnswered(r, startUs, done);
      const entry = entryOf(client.model);
      if (entry) ingress.send(client, entry, req, answered);
      else sim.schedule(0, () => answered({ status: 404, flags: 'NR', mtls: false, local: true }), undefined);
    });
  }

  if (modeDef.workloadCertificates) scheduleCertRotations(sim, timeline, profile, plane, durationUs);

  if (options.progress) {
    for (let i = 1; i <= PROGRESS_SLICES; i++) {
      sim.run(i === PROGRESS_SLICES ? durationUs : (durationUs * i) / PROGRESS_SLICES);
      options.progress(sim.now, sim.processed);
    }
  } else sim.run(durationUs);
  if (budget && !partial && sim.halted) {
    partial = {
      atUs: sim.now,
      reason: `${fmtCount(sim.processed)} simulator events, the --max-events budget; raise --max-events or shorten the run`,
    };
  }
  const usageInputs = { cluster, plane, profile, nowUs: sim.now };
  const resources = resourceUsage(modeDef, usageInputs);
  const scoping = configScoping(modeDef, usageInputs, resources);
  // Requests that arrived before the horizon are followed to their end, so every mode counts the
  // same requests whatever its latency (common random numbers). No new requests start after it.
  for (let cap = durationUs + DRAIN_LIMIT_US; inFlight > 0 && sim.pending > 0 && sim.now < cap && !sim.halted;)
    sim.run(Math.min(cap, sim.now + DRAIN_STEP_US));
  const stuck = stuckCalls(open, droppedAt, warmupUs);
  return {
    scenario,
    seed,
    mode,
    durationUs,
    profile,
    sim,
    cluster,
    plane,
    kube,
    endUser,
    edges,
    timeline,
    resources,
    scoping,
    crossZone,
    unfinished: inFlightMeasured,
    stuck,
    plan,
    partial,
    loops,
    replicas: hpa?.replicas,
    hpas: hpa?.traces,
    canaries: canaryRuns?.(),
    gateways: [...ingress.stats.values(), ...(egress ? [egress.stats] : [])],
    autoscale,
  };
}

/** The pod with the longest queue, for saying where an overload piles up. */
function busiestPod(cluster: Cluster): { name: string; queued: number } | undefined {
  let best: { name: string; queued: number } | undefined;
  for (const svc of cluster.services.values())
    for (const pod of svc.pods) if (!best || pod.slots.queued > best.queued) best = { name: pod.name, queued: pod.slots.queued };
  return best;
}

/** Groups the innermost open calls of unfinished end-user requests by edge, most first. */
function stuckCalls(openCalls: InsertionList<AppCall>, droppedAt: Map<AppCall, PodRt>, warmupUs: number): StuckCalls[] {
  const open = openCalls.toArray();
  const parents = new Set<AppCall>();
  for (const c of open) if (c.parent) parents.add(c.parent);
  const rootOf = (c: AppCall): AppCall => (c.parent ? rootOf(c.parent) : c);
  const byEdge = new Map<string, StuckCalls>();
  for (const c of open) {
    if (parents.has(c)) continue;
    const root = rootOf(c);
    if (!openCalls.has(root) || root.startUs < warmupUs) continue;
    const key = `${c.caller.edgeName}\u0000${c.service.model.key}`;
    let e = byEdge.get(key);
    if (!e)
      byEdge.set(
        key,
        (e = { source: c.caller.edgeName, destination: c.service.model.key, requests: 0, oldestStartS: Infinity, droppedBy: [] }),
      );
    e.requests++;
    const pod = droppedAt.get(c)?.name;
    if (pod !== undefined && !e.droppedBy.includes(pod)) e.droppedBy = [...e.droppedBy, pod].sort();
    e.oldestStartS = Math.min(e.oldestStartS, c.startUs / 1e6);
  }
  return [...byEdge.values()].sort((a, b) => b.requests - a.requests || (a.source + a.destination < b.source + b.destination ? -1 : 1));
}

/**
 * Istio workload certificates live 24 h and are renewed at 50% of their lifetime (SECRET_TTL,
 * SECRET_GRACE_PERIOD_RATIO: istio/istio security/pkg/cmd/constants.go, pilot/cmd/pilot-agent/options/options.go).
 * Every proxy got its certificate at t=0, so they all renew together; open connections keep their
 * session, and every connection opened afterwards handshakes with the new certificate.
 */
function scheduleCertRotations(sim: Simulator, timeline: Timeline, profile: CostProfile, plane: MeshPlane, durationUs: number): void {
  const everyUs = (profile.tls.certLifetimeHours * 3600e6) / 2;
  for (let t = everyUs; t <= durationUs; t += everyUs) {
    sim.at(t, () => timeline.add('cert_rotation', { proxies: plane.proxies.length, lifetime_h: profile.tls.certLifetimeHours }), undefined);
  }
}

function describeChange(c: IstioConfig): string {
  return [...c.virtualServices, ...c.destinationRules, ...c.peerAuthentications, ...c.authorizationPolicies]
    .map((r) => `${r.kind} ${r.namespace}/${r.name}`)
    .join(', ');
}
