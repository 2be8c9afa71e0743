/**
 * Cilium transparent encryption cost per request (docs
 * https://docs.cilium.io/en/stable/security/network/encryption-wireguard/ and encryption-ipsec/):
 * WireGuard (or IPsec) encrypts pod-to-pod traffic between nodes only; traffic between two pods
 * on the same node is never encrypted. The cost is kernel CPU on both nodes per byte and per packet
 * (1500-byte MTU), paid by the nodes, not by any container.
 */

export type CiliumEncryption = 'disabled' | 'wireguard' | 'ipsec';

export interface EncryptionCosts {
  /** Kernel CPU per KB encrypted or decrypted, µs (ChaCha20-Poly1305 for WireGuard, AES-GCM for IPsec). */
  cpuPerKBUs: number;
  /** Kernel CPU per packet (encapsulation, UDP, key lookup), µs. */
  cpuPerPacketUs: number;
  /** Added one-way latency per encrypted leg, µs. */
  latencyUs: number;
  mtuBytes: number;
}

export interface EncryptionCharge {
  encrypted: boolean;
  /** CPU on the sending node and on the receiving node, µs each. */
  cpuUsEachSide: number;
  latencyUs: number;
}

const NONE: EncryptionCharge = { encrypted: false, cpuUsEachSide: 0, latencyUs: 0 };

/** Cost of carrying `bytes` from `srcNode` to `dstNode` under `mode`. */
export function encryptionCharge(
  mode: CiliumEncryption,
  srcNode: string,
  dstNode: string,
  bytes: number,
  costs: EncryptionCosts,
): EncryptionCharge {
  if (mode === 'disabled' || srcNode === dstNode) return NONE;
  const packets = Math.max(1, Math.ceil(bytes / costs.mtuBytes));
  return { encrypted: true, cpuUsEachSide: (bytes / 1000) * costs.cpuPerKBUs + packets * costs.cpuPerPacketUs, latencyUs: costs.latencyUs };
}
