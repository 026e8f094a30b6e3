import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain.error';
import { AccessTokenVerifier } from '../../auth/tokens/access-token.verifier';
import { ServiceClientGuard } from '../../oauth/service-client.guard';

const CHALLENGE = 'Bearer realm="auth-service", Basic realm="auth-service", charset="UTF-8"';
const INVALID_TOKEN_CHALLENGE =
  'Bearer realm="auth-service", error="invalid_token", Basic realm="auth-service", charset="UTF-8"';

/**
 * SSF receivers are service clients. They authenticate with a client-credentials bearer token
 * (RFC 6749 §4.4, what the CAEP interoperability profile expects) or with HTTP Basic as for
 * introspection. Either way `request.serviceClient` names the client, and every stream
 * operation is limited to that client's own stream.
 */
@Injectable()
export class ReceiverGuard implements CanActivate {
  private readonly clientIds: ReadonlySet<string>;

  constructor(
    config: AppConfig,
    private readonly accessTokens: AccessTokenVerifier,
    private readonly basic: ServiceClientGuard,
  ) {
    this.clientIds = new Set(config.serviceClients.map((client) => client.id));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization = request.headers.authorization ?? '';
    const bearer = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
    if (!bearer) {
      try {
        return await this.basic.canActivate(context);
      } catch (error) {
        // Both schemes are offered (RFC 9110 §11.6.1): a bearer token or the client secret.
        if (!(error instanceof DomainError)) throw error;
        throw new DomainError(error.code, error.message, { 'WWW-Authenticate': CHALLENGE });
      }
    }
    const clientId = this.accessTokens.verifyClientToken(bearer[1]);
    // A client removed from the configuration loses its stream access with its secret.
    if (clientId === null || !this.clientIds.has(clientId)) {
      throw new DomainError('invalid_token', 'The bearer token is not a valid client token', {
        'WWW-Authenticate': INVALID_TOKEN_CHALLENGE,
      });
    }
    request.serviceClient = { id: clientId };
    return true;
  }
}
