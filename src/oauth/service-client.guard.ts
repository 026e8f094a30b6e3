import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { UserThrottlerGuard } from '../auth/throttling/user-throttler.guard';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The service client authenticated by HTTP Basic on the OAuth endpoints. */
    serviceClient?: { id: string };
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined for Basic. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

interface Credentials {
  id: string;
  secret: string;
}

/**
 * The credentials of an HTTP Basic header, in the two readings clients use: form-encoded as
 * RFC 6749 §2.3.1 asks (openid-client and most OAuth libraries), and raw as RFC 7617 sends
 * them (`curl -u`, plain HTTP clients). A secret with `+` or `%` differs between the two.
 * Always two readings (the raw one twice when they agree), so the work done is the same.
 */
function basicCredentials(header: string | undefined): [Credentials, Credentials] | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 1) return undefined;
  const raw = { id: decoded.slice(0, separator), secret: decoded.slice(separator + 1) };
  const id = formDecode(raw.id);
  const secret = formDecode(raw.secret);
  const formDecoded = id !== undefined && secret !== undefined ? { id, secret } : raw;
  return [formDecoded, raw];
}

/**
 * Authenticates service clients (`SERVICE_CLIENTS`) by HTTP Basic. Secrets are compared in
 * constant time over fixed-length digests, and an unknown id costs the same comparison,
 * so timing reveals neither ids nor secret prefixes.
 */
@Injectable()
export class ServiceClientGuard implements CanActivate {
  private readonly secrets: ReadonlyMap<string, Buffer>;
  private readonly decoy = digest('no client has this secret');

  constructor(
    config: AppConfig,
    private readonly rateLimits: UserThrottlerGuard,
  ) {
    this.secrets = new Map(
      config.serviceClients.map((client) => [client.id, digest(client.secret)]),
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const readings = basicCredentials(request.headers.authorization);
    // Every reading costs one constant-time comparison, known id or not, so timing reveals
    // neither which ids exist nor how much of a secret was right.
    const matched = (readings ?? [undefined, undefined]).map((credentials) => {
      const expected = (credentials && this.secrets.get(credentials.id)) ?? this.decoy;
      const equal = timingSafeEqual(digest(credentials?.secret ?? ''), expected);
      return credentials && equal && this.secrets.has(credentials.id) ? credentials : undefined;
    });
    const client = matched.find((credentials) => credentials !== undefined);
    if (!client) {
      const refusal = new DomainError('invalid_client', 'Client authentication failed', {
        'WWW-Authenticate': 'Basic realm="auth-service", charset="UTF-8"',
      });
      // Guessing secrets counts against the caller's IP (429 once over the route's limit).
      await this.rateLimits.countRefusal(context);
      throw refusal;
    }
    request.serviceClient = { id: client.id };
    return true;
  }
}
