import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { type User } from '../entities/user.entity';
import { normalizeEmail } from '../email/email-address';
import { LoginLimiter } from '../login-limits/login-limiter';
import { PasswordPolicy } from '../passwords/password-policy';
import { UserRepository } from '../repositories/user.repository';
import { AccessTokenService } from '../tokens/access-token.service';
import { AuditService } from './audit.service';
import { PasswordHasher } from './password-hasher';
import { SessionService } from './session.service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
  user: { id: string; email: string; roles: string[] };
}

export interface RegisteredUser {
  id: string;
  email: string;
  createdAt: Date;
}

const accountSuspended = (userId: string) =>
  new DomainError(
    'account_suspended',
    'This account is suspended; contact an administrator',
    {},
    { userId },
  );

/** Registration, password login and refresh: everything that hands out a token pair. */
@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    private readonly passwordPolicy: PasswordPolicy,
    private readonly loginLimiter: LoginLimiter,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
  ) {}

  async register(email: string, password: string, roles: string[] = []): Promise<RegisteredUser> {
    this.passwordPolicy.check(password, email);
    const user = await this.users.insertIfEmailFree({
      email: normalizeEmail(email),
      passwordHash: await this.passwords.hash(password),
      roles,
      createdAt: this.clock.now(),
    });
    if (!user) throw new DomainError('email_taken', 'An account with this email already exists');
    return { id: user.id, email: user.email, createdAt: user.createdAt };
  }

  async login(email: string, password: string, client: ClientContext): Promise<TokenPair> {
    const address = normalizeEmail(email);
    const attempt = await this.loginLimiter.begin(address, client);
    let user: User | null;
    let valid: boolean;
    try {
      user = await this.users.findByEmail(address);
      // Unknown emails spend the same argon2 work as wrong passwords: timing reveals no accounts.
      valid = user
        ? await this.passwords.verify(user.passwordHash, password)
        : await this.passwords.verifyDecoy(password);
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    if (!user || !valid) {
      // Counted by the limiter already; audited by the route's refusal filter.
      throw new DomainError(
        'invalid_credentials',
        'Invalid email or password',
        {},
        { userId: user?.id },
      );
    }
    await attempt.succeeded();
    // Only after the password checked out: a suspension is never revealed to a guesser.
    if (user.status !== 'active') throw accountSuspended(user.id);
    const now = this.clock.now();
    const started = await this.dataSource.transaction(async (manager) => {
      // Read again under a share lock: a suspension committing meanwhile either waits for this
      // session (and ends it) or is seen here.
      if ((await this.users.lockStatus(manager, user.id)) !== 'active')
        throw accountSuspended(user.id);
      const session = await this.sessions.start(manager, user, client, now);
      await this.audit.recordWith(manager, {
        action: 'login',
        outcome: 'success',
        client,
        actorUserId: user.id,
        sessionId: session.session.id,
        occurredAt: now,
      });
      return session;
    });
    return this.tokenPair(user, started.session.id, started.session.authTime, started.refreshToken);
  }

  async refresh(refreshToken: string, client: ClientContext): Promise<TokenPair> {
    const rotated = await this.sessions.rotate(refreshToken, client);
    return this.tokenPair(
      rotated.user,
      rotated.session.id,
      rotated.session.reauthenticatedAt ?? rotated.session.authTime,
      rotated.refreshToken,
    );
  }

  private async tokenPair(
    user: User,
    sessionId: string,
    authTime: Date,
    refreshToken: string,
  ): Promise<TokenPair> {
    const access = await this.accessTokens.issue({
      userId: user.id,
      sessionId,
      roles: user.roles,
      authTime,
    });
    return {
      accessToken: access.accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      sessionId,
      user: { id: user.id, email: user.email, roles: user.roles },
    };
  }
}
