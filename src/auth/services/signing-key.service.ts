import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type webcrypto,
  type KeyObject,
} from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { SigningKeyRepository } from '../repositories/signing-key.repository';

export const SIGNING_ALGORITHM = 'ES256';

export interface VerificationKey {
  readonly kid: string;
  /** Parsed once: building a key from PEM on every verification costs more than the signature check. */
  readonly publicKey: KeyObject;
  readonly jwk: webcrypto.JsonWebKey;
}

interface ActiveKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

/** RFC 7638 thumbprint: a `kid` that is derived from the key itself, so every instance agrees on it. */
function thumbprint(jwk: webcrypto.JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function toVerificationKey(publicKeyPem: string): VerificationKey {
  const publicKey = createPublicKey(publicKeyPem);
  const jwk = publicKey.export({ format: 'jwk' });
  return { kid: thumbprint(jwk), publicKey, jwk };
}

function toActiveKey(privateKeyPem: string): ActiveKey {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  return { kid: thumbprint(jwk), publicKey, jwk, privateKey };
}

/**
 * The ES256 signing key: `JWT_PRIVATE_KEY` when configured, otherwise a key generated once
 * and kept in the database, so restarts and other instances keep accepting issued tokens.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeyService.name);
  private active?: ActiveKey;
  private previous?: VerificationKey;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeyRepository,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.jwtPreviousPublicKeyPem) {
      this.previous = toVerificationKey(this.config.jwtPreviousPublicKeyPem);
    }
    if (this.config.jwtPrivateKeyPem) {
      this.active = toActiveKey(this.config.jwtPrivateKeyPem);
      return;
    }
    const stored = await this.keys.findNewestOrCreate(() => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      this.logger.log(
        'Generated a new ES256 signing key (set JWT_PRIVATE_KEY to manage it yourself)',
      );
      return { kid: toActiveKey(privateKeyPem).kid, privateKeyPem, createdAt: this.clock.now() };
    });
    this.active = toActiveKey(stored.privateKeyPem);
  }

  get current(): ActiveKey {
    if (!this.active) throw new Error('SigningKeyService used before initialisation');
    return this.active;
  }

  /** The key that verifies tokens carrying `kid`, if this service issued them. */
  verificationKey(kid: string | undefined): VerificationKey | undefined {
    if (kid === undefined) return undefined;
    return this.verificationKeys().find((key) => key.kid === kid);
  }

  /** The current key and, during a rotation, the previous one (JWT_PREVIOUS_PUBLIC_KEY). */
  verificationKeys(): VerificationKey[] {
    return this.previous && this.previous.kid !== this.current.kid
      ? [this.current, this.previous]
      : [this.current];
  }
}
