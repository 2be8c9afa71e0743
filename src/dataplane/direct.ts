/**
 * Mode `none`: A → network → B. The app keeps HTTP/1.1 keep-alive connections; each new one is
 * pinned to a random pod (kube-proxy balances connections, not requests) and costs a TCP round trip.
 * No proxy, no retries, no mTLS: a refused or reset connection is status 0.
 */
import type { RequestShape } from '../config/model.js';
import type { Caller, PodRt, ServiceRt } from '../world/entities.js';
import type { Connection } from './connections.js';
import { PlaneBase, type CallDone, type DataPlane } from './plane.js';

export class DirectPlane extends PlaneBase implements DataPlane {
  call(caller: Caller, svc: ServiceRt, req: RequestShape, done: CallDone): void {
    const pool = this.appPool(caller, svc);
    const conn = pool.take('any');
    if (conn) {
      this.send(caller, svc, conn, done);
      return;
    }
    const pod = this.randomPod(caller, svc);
    if (!pod) {
      done({ status: 0, flags: '', mtls: false });
      return;
    }
    const fresh = pool.open('any', pod, false);
    this.handshakes.total++;
    const rtt = 2 * this.oneWay(caller.node, pod.node);
    this.sim.schedule(rtt, () => {
      if (pod.crashed || fresh.closed) {
        pool.release('any', fresh);
        done({ status: 0, flags: '', mtls: false, pod });
      } else {
        this.send(caller, svc, fresh, done);
      }
    }, undefined);
    void req;
  }

  private send(caller: Caller, svc: ServiceRt, conn: Connection<unknown>, done: CallDone): void {
    const pod = conn.host as PodRt;
    const pool = this.appPool(caller, svc);
    const leg = this.oneWay(caller.node, pod.node);
    this.sim.schedule(leg, () => {
      this.deps.pods.deliver(pod, (status) => {
        this.sim.schedule(leg, () => {
          pool.release('any', conn);
          done({ status, flags: '', mtls: false, pod });
        }, undefined);
      });
    }, undefined);
  }
}
