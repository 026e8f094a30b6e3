import {
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import { AllowEndedSession } from '../../common/decorators/allow-ended-session.decorator';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { LogoutDto } from '../dto/logout.dto';
import { LogoutAuditFilter } from '../filters/logout-audit.filter';
import { AuditInterceptor } from '../interceptors/audit.interceptor';
import { LogoutService, type LogoutResponse } from '../services/logout.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@Controller('auth')
@UseFilters(LogoutAuditFilter)
@UseInterceptors(AuditInterceptor)
export class LogoutController {
  constructor(private readonly logouts: LogoutService) {}

  /** Ends the caller's session(s): `global` (default), `local` or `others`. Idempotent. */
  @Post('logout')
  @HttpCode(HttpStatus.OK)
  @RateLimited('logout')
  @AllowEndedSession()
  logout(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: LogoutDto,
    @Client() client: ClientContext,
  ): Promise<LogoutResponse> {
    return this.logouts.logout(user, body.scope ?? 'global', client);
  }
}
