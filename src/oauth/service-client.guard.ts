import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Request } from 'express';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';

declare module 'express-serve-static-core' {
  interface Request {
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

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 1) return undefined;
  const id = formDecode(decoded.slice(0, separator));
  const secret = formDecode(decoded.slice(separator + 1));
  return id !== undefined && secret !== undefined ? { id, secret } : undefined;
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

  constructor(config: AppConfig) {
    this.secrets = new Map(
      config.serviceClients.map((client) => [client.id, digest(client.secret)]),
    );
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const credentials = basicCredentials(request.headers.authorization);
    const expected = (credentials && this.secrets.get(credentials.id)) ?? this.decoy;
    const matches = timingSafeEqual(digest(credentials?.secret ?? ''), expected);
    if (!credentials || !matches || !this.secrets.has(credentials.id)) {
      throw new DomainError('invalid_client', 'Client authentication failed', {
        'WWW-Authenticate': 'Basic realm="auth-service", charset="UTF-8"',
      });
    }
    request.serviceClient = { id: credentials.id };
    return true;
  }
}
