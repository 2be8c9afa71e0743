/** A described JWT for jwt_authn unit tests: valid, from https://auth.example.com, in Authorization: Bearer. */
import type { JwtToken } from '../../src/config/model.js';

export const jwtToken = (t: Partial<JwtToken> = {}): JwtToken => ({
  issuer: 'https://auth.example.com',
  subject: 'alice',
  audiences: [],
  claims: {},
  expired: false,
  badSignature: false,
  location: { header: 'authorization', prefix: 'Bearer ' },
  ...t,
});
