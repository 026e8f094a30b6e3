import { type ResolvedAuthClientOptions } from './auth-client.options';
import { SIGNING_ALGORITHM } from './access-token.verifier';
import { loadJose } from './jose.loader';
import { readSecurityEvent, type ReceivedSecurityEvent } from './security-event';
import { SecurityEventError } from './security-event.error';
import { type ServiceMetadata } from './service-metadata';

/** RFC 8417 §2.3: SETs are typed, so no other JWT of the same key passes as one. */
export const SECURITY_EVENT_TYPE = 'secevent+jwt';

/** Verifies a SET as RFC 8417 and the SSF spec ask: signature, `typ`, `iss`, `aud` = this client. */
export class SecurityEventVerifier {
  constructor(
    private readonly options: ResolvedAuthClientOptions,
    private readonly metadata: ServiceMetadata,
  ) {}

  async verify(set: string): Promise<ReceivedSecurityEvent> {
    const [jose, keys, ssf] = await Promise.all([
      loadJose(),
      this.metadata.keys(),
      this.metadata.ssf(),
    ]);
    try {
      const { payload } = await jose.jwtVerify(set, keys, {
        algorithms: [SIGNING_ALGORITHM],
        typ: SECURITY_EVENT_TYPE,
        issuer: ssf.issuer,
        audience: this.options.clientId,
        requiredClaims: ['jti', 'iat'],
        clockTolerance: this.options.clockToleranceSeconds,
        currentDate: new Date(this.options.now()),
      });
      return readSecurityEvent(payload, payload.iat as number);
    } catch (error) {
      if (error instanceof SecurityEventError) throw error;
      if (error instanceof jose.errors.JWTClaimValidationFailed) {
        if (error.claim === 'iss') throw new SecurityEventError('invalid_issuer', error.message);
        if (error.claim === 'aud') throw new SecurityEventError('invalid_audience', error.message);
        throw new SecurityEventError('invalid_request', error.message);
      }
      if (
        error instanceof jose.errors.JWSSignatureVerificationFailed ||
        error instanceof jose.errors.JWKSNoMatchingKey
      ) {
        throw new SecurityEventError('invalid_key', 'the SET signature does not verify');
      }
      if (
        error instanceof jose.errors.JWSInvalid ||
        error instanceof jose.errors.JWTInvalid ||
        error instanceof jose.errors.JOSEAlgNotAllowed ||
        error instanceof jose.errors.JOSENotSupported
      ) {
        throw new SecurityEventError('invalid_request', `malformed SET: ${error.message}`);
      }
      // Anything else (the JWKS could not be fetched) is transient: the SET is neither
      // acknowledged nor refused, so the transmitter delivers it again.
      throw error;
    }
  }
}
