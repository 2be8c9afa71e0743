/**
 * RequestAuthentication (security.istio.io v1 / v1beta1) with Istio's field names
 * (istio/api security/v1beta1/request_authentication.proto, JWTRule in security/v1beta1/jwt.proto).
 * The document has already passed Istio's CRD schema (crd-validate.ts). The key set (`jwksUri`,
 * `jwks`) is taken as fixed: a token is valid when the scenario says it is signed by it.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no RequestAuthentication. */
const schemas = lazySchemas(() => {
  const jwtRule = z.strictObject({
    issuer: z.string().min(1),
    audiences: z.array(z.string()).optional(),
    jwksUri: z.string().optional(),
    jwks_uri: z.string().optional(),
    jwks: z.string().optional(),
    fromHeaders: z.array(z.strictObject({ name: z.string(), prefix: z.string().optional() })).optional(),
    fromParams: z.array(z.string()).optional(),
    fromCookies: z.array(z.string()).optional(),
    outputPayloadToHeader: z.string().optional(),
    /** Default false: Envoy removes the token from the request once verified (jwt_authn `forward`). */
    forwardOriginalToken: z.boolean().optional(),
    outputClaimToHeaders: z.array(z.strictObject({ header: z.string(), claim: z.string() })).optional(),
    spaceDelimitedClaims: z.array(z.string()).optional(),
    timeout: z.string().optional(),
  });

  const targetRef = z.strictObject({ group: z.string().optional(), kind: z.string(), name: z.string(), namespace: z.string().optional() });

  const requestAuthenticationSpec = z.strictObject({
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() }).optional(),
    targetRef: targetRef.optional(),
    targetRefs: z.array(targetRef).optional(),
    jwtRules: z.array(jwtRule).default([]),
  });
  return { requestAuthenticationSpec, jwtRule };
});
type Schemas = ReturnType<typeof schemas>;

export const requestAuthenticationSpec = z.lazy(() => schemas().requestAuthenticationSpec);
export type JwtRule = z.output<Schemas['jwtRule']>;
export type RequestAuthenticationSpec = z.output<typeof requestAuthenticationSpec>;
