import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { normalizeEmail } from '../email/email-address';
import { UserRepository } from '../repositories/user.repository';
import { PasswordHasher } from './password-hasher';

/**
 * Creates the first admin from BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD when no user
 * has that email. An existing user is left exactly as it is; concurrent instances race
 * safely on the unique email index.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (!admin) return;
    const email = normalizeEmail(admin.email);
    if (await this.users.findByEmail(email)) return;
    const created = await this.users.insertIfEmailFree({
      email,
      passwordHash: await this.passwords.hash(admin.password),
      roles: ['admin'],
      createdAt: this.clock.now(),
    });
    if (created) this.logger.log(`Created the bootstrap admin ${email}`);
  }
}
