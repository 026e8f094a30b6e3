import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { SIGNING_ALGORITHM, SigningKeyService } from '../../auth/services/signing-key.service';
import { compactEs256 } from '../../common/jose/compact-es256';
import { BACKCHANNEL_LOGOUT, eventTypeUri } from '../event-types';
import { type LeasedDelivery } from '../repositories/delivery.repository';

/** RFC 8417 §2.3: the `typ` of a Security Event Token. */
export const SET_TYPE = 'secevent+jwt';
/** OpenID Connect Back-Channel Logout 1.0 §2.4. */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
/** A logout token is acted on at once; Back-Channel Logout §2.4 recommends a short lifetime. */
const LOGOUT_TOKEN_TTL_S = 120;

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Signs what receivers are sent, with the service's current key (same JWKS as access tokens)
 * and a `typ` of its own, so no kind of token can pass for another: SETs for SSF streams
 * (RFC 8417, SSF 1.0 §4, CAEP 1.0) and logout tokens for back-channel logout clients.
 */
@Injectable()
export class SecurityEventTokenService {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The SET of one delivery, for the receiver `audience` (its client id). */
  set(delivery: LeasedDelivery, audience: string, streamId: string): Promise<string> {
    const claims: Record<string, unknown> = {
      iat: seconds(this.clock.now()),
      sub_id: this.subject(delivery, streamId),
      events: { [eventTypeUri(delivery.eventType)]: this.eventPayload(delivery) },
    };
    // RFC 8417 §2.2: `txn` ties the SET to the request that caused it, when there was one.
    if (delivery.requestId) claims.txn = delivery.requestId;
    return this.sign(claims, SET_TYPE, audience, delivery.jti);
  }

  /** Back-Channel Logout 1.0 §2.4: one logout token per ended session. */
  logoutToken(delivery: LeasedDelivery, audience: string): Promise<string> {
    const iat = seconds(this.clock.now());
    return this.sign(
      {
        iat,
        exp: iat + LOGOUT_TOKEN_TTL_S,
        sub: delivery.userId,
        sid: delivery.sessionId,
        events: { [BACKCHANNEL_LOGOUT]: {} },
      },
      LOGOUT_TOKEN_TYPE,
      audience,
      delivery.jti,
    );
  }

  private sign(
    claims: Record<string, unknown>,
    typ: string,
    audience: string,
    jti: string,
  ): Promise<string> {
    const key = this.keys.current;
    return Promise.resolve(
      compactEs256(
        { alg: SIGNING_ALGORITHM, typ, kid: key.kid },
        { ...claims, iss: this.config.jwtIssuer, aud: audience, jti },
        key.privateKey,
      ),
    );
  }

  /**
   * RFC 9493 subjects. A session ending names the user (`iss_sub`) and the session (`opaque`
   * id = the `sid` its access tokens carry) in a `complex` subject, as the CAEP interoperability
   * profile expects; a credential change names the user; a verification names the stream.
   */
  private subject(delivery: LeasedDelivery, streamId: string): Record<string, unknown> {
    if (delivery.eventType === 'verification') return { format: 'opaque', id: streamId };
    const user = { format: 'iss_sub', iss: this.config.jwtIssuer, sub: delivery.userId };
    if (delivery.eventType === 'credential-change') return { format: 'complex', user };
    return { format: 'complex', user, session: { format: 'opaque', id: delivery.sessionId } };
  }

  private eventPayload(delivery: LeasedDelivery): Record<string, unknown> {
    if (delivery.eventType === 'verification') {
      return delivery.state === null ? {} : { state: delivery.state };
    }
    const common = {
      event_timestamp: seconds(delivery.occurredAt),
      initiating_entity: delivery.initiatingEntity,
      reason_admin: { en: delivery.reason },
    };
    return delivery.eventType === 'credential-change'
      ? { ...common, credential_type: 'password', change_type: 'update' }
      : common;
  }
}
