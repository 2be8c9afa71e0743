/** `none`: no mesh. Apps call each other through kube-proxy (the direct plane); nothing else runs. */
import { DirectPlane } from '../dataplane/direct.js';
import type { MeshModeDef } from './mode.js';

export const noneMode: MeshModeDef = {
  name: 'none',
  title: 'no mesh (kube-proxy)',
  colour: '#9ca3af',
  components: [],
  // No proxy exists: metrics are written as if the apps reported them themselves.
  clientReporter: 'source',
  workloadCertificates: false,
  createPlane: (deps) => Object.assign(new DirectPlane(deps), { proxies: [], envoyClusters: () => [] }),
};
