/**
 * The kubelet's view of each pod: its app container (started, crashed, restarted with
 * CrashLoopBackOff), its sidecar's startup, its probes, its Ready condition, and graceful
 * termination. Readiness changes go to the EndpointSlice controller; what the app process does
 * (dying, starting, draining) is the world's job, through `ContainerRuntime`.
 *
 * Sources (kubernetes/website …/concepts/workloads/pods/pod-lifecycle.md unless noted):
 * - a pod is Ready when all its containers are ready; a container without a readinessProbe is
 *   ready once running; a restarted container is not ready until its first readiness success;
 * - container exits are seen by the PLEG relist (every 1 s, kubernetes/kubernetes
 *   pkg/kubelet/kubelet.go genericPlegRelistPeriod), then the pod turns NotReady and the kubelet
 *   restarts the container (restartPolicy Always) after its back-off (./backoff.ts);
 * - a failing livenessProbe kills the container, which is then restarted the same way;
 * - deletion: the endpoint is marked terminating at once; the app gets SIGTERM after its preStop
 *   hook and SIGKILL at terminationGracePeriodSeconds; a regular (non-native) istio-proxy has no
 *   preStop hook, so it gets SIGTERM at once, drains inbound listeners and exits after
 *   terminationDrainDuration, 5 s (istio/istio pkg/envoy/agent.go terminate; istio/api
 *   mesh/v1alpha1/proxy.proto);
 * - istio-proxy is ready once Envoy has CDS and LDS from istiod; its startup probe polls every 1 s
 *   (istio/istio pilot/cmd/pilot-agent/status/ready/probe.go; injection-template.yaml).
 */
import type { Simulator } from '../kernel/simulator.js';
import { DEFAULT_POD_LIFECYCLE, type PodLifecycleModel } from '../config/lifecycle.js';
import type { PodRt } from '../world/entities.js';
import { CrashLoopBackOff } from './backoff.js';
import { PLEG_RELIST_US, SIDECAR_CONFIG_FETCH_US, SIDECAR_STARTUP_PROBE_PERIOD_US, SIDECAR_TERMINATION_DRAIN_US } from './defaults.js';
import type { EndpointsController } from './endpoints.js';
import { seconds, type EventSink } from './events.js';
import { ProbeState } from './probe.js';

/** What the world does when the kubelet acts on a pod's containers. */
export interface ContainerRuntime {
  /** The app process died (crash, SIGKILL, node loss): requests in it are reset, new connections refused. */
  appDied(pod: PodRt): void;
  /** The app listens again. */
  appStarted(pod: PodRt): void;
  /** SIGTERM: the app stops accepting connections, finishes what it holds, then calls `exited`. */
  sigterm(pod: PodRt, exited: () => void): void;
  /** The pod's sidecar exited: nothing reaches the app through it and the app's calls fail. */
  sidecarExited(pod: PodRt): void;
  /** Whether the pod runs a sidecar whose readiness gates the pod's. */
  hasSidecar(pod: PodRt): boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Terminating' | 'Terminated';

export interface PodStatus {
  readonly pod: PodRt;
  phase: PodPhase;
  readonly createdUs: number;
  /** When the current app container started. */
  startedUs?: number;
  containerRunning: boolean;
  appListening: boolean;
  sidecarReady: boolean;
  /** The pod's Ready condition. */
  ready: boolean;
  /** Last change of the Ready condition (HPA and Deployments read it). */
  lastTransitionUs: number;
  restarts: number;
  deleting: boolean;
  /** The node stopped answering: the node controller marked the pod NotReady. */
  nodeLost: boolean;
  /** A crash fault is active: every start of the app container dies at once. */
  crashLoop: boolean;
  readiness?: ProbeState;
  liveness?: ProbeState;
  readonly backoff: CrashLoopBackOff;
  readonly lifecycle: PodLifecycleModel;
  /** Bumped at each container start/stop: timers of an older container are void. */
  gen: number;
  /** Bumped at each sidecar start, likewise; its startup probe ticks from `sidecarStartedUs`. */
  sidecarGen: number;
  sidecarStartedUs: number;
}

export interface KubeletDeps {
  sim: Simulator;
  events: EventSink;
  endpoints: EndpointsController;
  runtime: ContainerRuntime;
  /** Whether istiod can serve config and certificates now (sidecar startup waits for it). */
  istiodUp: () => boolean;
  /** Whether the pod's node is up (a dead kubelet does nothing). */
  nodeUp: (pod: PodRt) => boolean;
  lifecycleOf: (pod: PodRt) => PodLifecycleModel;
}

export type ReadyListener = (s: PodStatus) => void;

export class Kubelet {
  private readonly status = new Map<PodRt, PodStatus>();
  private readonly readyListeners: ReadyListener[] = [];
  private readonly goneListeners: ((s: PodStatus) => void)[] = [];
  /** Sidecars waiting for istiod to come back before they can fetch config. */
  private waitingForIstiod: PodStatus[] = [];

  constructor(private readonly deps: KubeletDeps) {}

  get(pod: PodRt): PodStatus | undefined {
    return this.status.get(pod);
  }

  all(): IterableIterator<PodStatus> {
    return this.status.values();
  }

  onReadyChange(l: ReadyListener): void {
    this.readyListeners.push(l);
  }

  onGone(l: (s: PodStatus) => void): void {
    this.goneListeners.push(l);
  }

  /** A pod that was running and Ready before the run started (no startup events). */
  adoptRunning(pod: PodRt): PodStatus {
    const s = this.newStatus(pod, 0);
    Object.assign(s, { phase: 'Running', startedUs: 0, containerRunning: true, appListening: true, sidecarReady: true, ready: true });
    if (s.readiness) s.readiness.ok = true;
    this.startProbes(s);
    return s;
  }

  /** A pod just bound to its node: its containers start now. */
  start(pod: PodRt): PodStatus {
    const s = this.newStatus(pod, this.deps.sim.now);
    s.phase = 'Running';
    this.startSidecar(s);
    this.startApp(s);
    return s;
  }

  /** The app container dies now (a crash fault). */
  crash(pod: PodRt): void {
    const s = this.status.get(pod);
    if (s?.containerRunning) this.exit(s, 'crashed');
  }

  /** A crash fault starts (every start dies) or ends (the next start is healthy). */
  setCrashLoop(pod: PodRt, on: boolean): void {
    const s = this.status.get(pod);
    if (!s) return;
    s.crashLoop = on;
    if (on) this.crash(pod);
  }

  /** Graceful deletion (kubectl delete, scale-down, eviction, rollout). */
  delete(pod: PodRt, reason: string, graceUs?: number): void {
    const s = this.status.get(pod);
    if (!s || s.deleting || s.phase === 'Terminated') return;
    const sim = this.deps.sim;
    const grace = graceUs ?? s.lifecycle.terminationGraceUs;
    s.deleting = true;
    s.phase = 'Terminating';
    this.deps.events.add('pod_deleted', { pod: pod.name, service: pod.service.model.key, reason, grace_s: seconds(grace) });
    // The endpoint controller marks the endpoint terminating (ready=false) at once, racing the app's shutdown.
    this.setReady(s, false, 'terminating');
    this.deps.endpoints.update(pod, { ready: false, terminating: true });
    if (!this.deps.nodeUp(pod)) return; // a dead kubelet never confirms: the pod stays Terminating
    const gen = s.gen;
    let appExited = !s.containerRunning;
    let sidecarExited = !this.deps.runtime.hasSidecar(pod);
    const maybeGone = () => {
      if (appExited && sidecarExited) this.gone(s);
    };
    if (!sidecarExited)
      sim.schedule(
        Math.min(SIDECAR_TERMINATION_DRAIN_US, grace),
        () => {
          if (sidecarExited) return;
          sidecarExited = true;
          this.deps.runtime.sidecarExited(pod);
          maybeGone();
        },
        undefined,
      );
    const sigterm = () => {
      if (appExited || s.gen !== gen) return;
      this.deps.runtime.sigterm(pod, () => {
        if (appExited) return;
        appExited = true;
        s.gen++;
        s.containerRunning = false;
        s.appListening = false;
        maybeGone();
      });
    };
    if (!appExited) sim.schedule(Math.min(s.lifecycle.preStopUs, grace), sigterm, undefined);
    // SIGKILL whatever is left at the end of the grace period.
    sim.schedule(
      grace,
      () => {
        if (!appExited) {
          appExited = true;
          s.gen++;
          s.containerRunning = false;
          s.appListening = false;
          this.deps.runtime.appDied(pod);
        }
        if (!sidecarExited) {
          sidecarExited = true;
          this.deps.runtime.sidecarExited(pod);
        }
        maybeGone();
      },
      undefined,
    );
    maybeGone();
  }

  /** The node stopped: containers are gone with it; the API does not know yet. */
  nodeDown(pod: PodRt): void {
    const s = this.status.get(pod);
    if (!s) return;
    s.gen++;
    s.containerRunning = false;
    s.appListening = false;
    s.sidecarReady = false;
    s.sidecarGen++;
  }

  /** The node controller marks the pods of an unreachable node NotReady (MarkPodsNotReady). */
  markNodeLost(pod: PodRt): void {
    const s = this.status.get(pod);
    if (!s || s.nodeLost) return;
    s.nodeLost = true;
    this.refresh(s, 'node unreachable');
  }

  /** The node is back: a pod deleted meanwhile is confirmed gone; the others' containers start again. */
  nodeUp(pod: PodRt): void {
    const s = this.status.get(pod);
    if (!s || s.phase === 'Terminated') return;
    s.nodeLost = false;
    if (s.deleting) {
      this.gone(s);
      return;
    }
    this.startSidecar(s);
    this.startApp(s);
  }

  /** istiod is back: sidecars that were waiting for config fetch it now. */
  istiodUp(): void {
    const waiting = this.waitingForIstiod;
    this.waitingForIstiod = [];
    for (const s of waiting) if (s.phase === 'Running' && !s.deleting) this.fetchSidecarConfig(s);
  }

  private newStatus(pod: PodRt, nowUs: number): PodStatus {
    const lifecycle = this.deps.lifecycleOf(pod) ?? DEFAULT_POD_LIFECYCLE;
    const s: PodStatus = {
      pod,
      phase: 'Pending',
      createdUs: nowUs,
      containerRunning: false,
      appListening: false,
      sidecarReady: !this.deps.runtime.hasSidecar(pod),
      ready: false,
      lastTransitionUs: nowUs,
      restarts: 0,
      deleting: false,
      nodeLost: false,
      crashLoop: false,
      readiness: lifecycle.readinessProbe ? new ProbeState('readiness', lifecycle.readinessProbe) : undefined,
      liveness: lifecycle.livenessProbe ? new ProbeState('liveness', lifecycle.livenessProbe) : undefined,
      backoff: new CrashLoopBackOff(),
      lifecycle,
      gen: 0,
      sidecarGen: 0,
      sidecarStartedUs: nowUs,
    };
    this.status.set(pod, s);
    return s;
  }

  private startSidecar(s: PodStatus): void {
    if (!this.deps.runtime.hasSidecar(s.pod)) return;
    s.sidecarReady = false;
    s.sidecarGen++;
    s.sidecarStartedUs = this.deps.sim.now;
    if (this.deps.istiodUp()) this.fetchSidecarConfig(s);
    else this.waitingForIstiod.push(s);
  }

  /** Envoy gets CDS/LDS; the sidecar's 1 s startup probe sees it ready at its next tick. */
  private fetchSidecarConfig(s: PodStatus): void {
    const sim = this.deps.sim;
    const since = s.sidecarStartedUs;
    const configAt = sim.now + SIDECAR_CONFIG_FETCH_US;
    const ticks = Math.ceil((configAt - since) / SIDECAR_STARTUP_PROBE_PERIOD_US);
    const gen = s.sidecarGen;
    sim.at(
      since + ticks * SIDECAR_STARTUP_PROBE_PERIOD_US,
      () => {
        if (s.sidecarGen !== gen || s.deleting || !this.deps.nodeUp(s.pod)) return;
        if (!this.deps.istiodUp()) {
          this.waitingForIstiod.push(s);
          return;
        }
        s.sidecarReady = true;
        this.refresh(s, 'sidecar ready');
      },
      undefined,
    );
  }

  private startApp(s: PodStatus): void {
    const sim = this.deps.sim;
    s.gen++;
    s.containerRunning = true;
    s.startedUs = sim.now;
    s.appListening = false;
    if (s.readiness) s.readiness = new ProbeState('readiness', s.readiness.spec);
    if (s.liveness) s.liveness = new ProbeState('liveness', s.liveness.spec);
    if (s.crashLoop) {
      // The process exits as soon as it starts (a crash loop).
      this.exit(s, 'crashed on start');
      return;
    }
    const gen = s.gen;
    sim.schedule(
      s.lifecycle.startupUs,
      () => {
        if (s.gen !== gen) return;
        s.appListening = true;
        this.deps.runtime.appStarted(s.pod);
        this.refresh(s, 'started');
      },
      undefined,
    );
    this.startProbes(s);
  }

  private startProbes(s: PodStatus): void {
    const sim = this.deps.sim;
    const gen = s.gen;
    for (const probe of [s.readiness, s.liveness]) {
      if (!probe) continue;
      const tick = (): void => {
        if (s.gen !== gen || s.deleting) return;
        if (!this.deps.nodeUp(s.pod)) return;
        // An app that does not listen refuses the probe at once; a listening one answers.
        const flipped = probe.observe(s.appListening);
        if (flipped && probe.kind === 'readiness')
          this.refresh(s, probe.ok ? 'readiness probe passed' : `readiness probe failed ${probe.spec.failureThreshold} times`);
        if (flipped && probe.kind === 'liveness' && !probe.ok) {
          this.deps.events.add('liveness_failed', { pod: s.pod.name, service: s.pod.service.model.key });
          this.exit(s, 'killed by liveness probe');
          return;
        }
        sim.schedule(probe.spec.periodUs, tick, undefined);
      };
      sim.at((s.startedUs ?? sim.now) + probe.spec.initialDelayUs, tick, undefined);
    }
  }

  /** The app container exited: the kubelet notices at its next relist, then restarts it after the back-off. */
  private exit(s: PodStatus, why: string): void {
    const sim = this.deps.sim;
    s.gen++;
    s.containerRunning = false;
    s.appListening = false;
    const exitUs = sim.now;
    this.deps.runtime.appDied(s.pod);
    const gen = s.gen;
    const relist = (Math.floor(exitUs / PLEG_RELIST_US) + 1) * PLEG_RELIST_US;
    sim.at(
      relist,
      () => {
        if (s.gen !== gen || s.deleting || !this.deps.nodeUp(s.pod)) return;
        this.refresh(s, `container ${why}`);
        const delay = s.backoff.onExit(exitUs);
        sim.at(
          Math.max(sim.now, exitUs + delay),
          () => {
            if (s.gen !== gen || s.deleting || !this.deps.nodeUp(s.pod)) return;
            s.restarts++;
            this.deps.events.add('container_restart', {
              pod: s.pod.name,
              service: s.pod.service.model.key,
              restarts: s.restarts,
              backoff_s: seconds(delay),
              reason: why,
            });
            this.startApp(s);
          },
          undefined,
        );
      },
      undefined,
    );
  }

  /** Recomputes the Ready condition: every container running and ready, the node reachable. */
  private refresh(s: PodStatus, why: string): void {
    const appReady = s.containerRunning && (s.readiness ? s.readiness.ok : s.appListening);
    const ready = s.phase === 'Running' && !s.deleting && !s.nodeLost && appReady && s.sidecarReady;
    this.setReady(s, ready, why);
    if (!s.deleting) this.deps.endpoints.update(s.pod, { ready, terminating: false });
  }

  private setReady(s: PodStatus, ready: boolean, why: string): void {
    if (s.ready === ready) return;
    s.ready = ready;
    s.lastTransitionUs = this.deps.sim.now;
    if (!s.deleting || ready)
      this.deps.events.add(ready ? 'pod_ready' : 'pod_not_ready', { pod: s.pod.name, service: s.pod.service.model.key, reason: why });
    for (const l of this.readyListeners) l(s);
  }

  private gone(s: PodStatus): void {
    if (s.phase === 'Terminated') return;
    s.phase = 'Terminated';
    s.gen++;
    this.deps.endpoints.update(s.pod, 'gone');
    for (const l of this.goneListeners) l(s);
  }
}
