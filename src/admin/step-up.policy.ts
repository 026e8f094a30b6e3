import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Clock } from '../common/clock/clock';
import { DomainError } from '../common/errors/domain.error';
import { type AuthenticatedUser } from '../auth/authenticated-user';

/**
 * Destructive admin actions (global logout, suspension, the emergency brake) need a recent
 * proof of the password: a stolen admin token alone, hours old, cannot take them.
 */
@Injectable()
export class StepUpPolicy {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  require(admin: AuthenticatedUser): void {
    const age = this.clock.now().getTime() - admin.authTime * 1000;
    if (age > this.config.adminStepUpMaxAgeMs) {
      throw new DomainError(
        'reauthentication_required',
        'This action needs a recent sign-in: call POST /auth/reauthenticate, then retry with the new access token',
      );
    }
  }
}
