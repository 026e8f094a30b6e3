import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Body, Controller, HttpCode, HttpStatus, Post, UseFilters } from '@nestjs/common';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { BEARER } from '../../openapi/openapi.setup';
import { MessageResponse } from '../dto/message.response';
import { AllowEndedSession } from '../decorators/allow-ended-session.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { LogoutDto } from '../dto/logout.dto';
import { LogoutRefusalAuditFilter } from '../filters/logout-refusal-audit.filter';
import { LogoutService, type LogoutResponse } from '../services/logout.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@ApiTags('auth')
@ApiBearerAuth(BEARER)
@Controller('auth')
@UseFilters(LogoutRefusalAuditFilter)
export class LogoutController {
  constructor(private readonly logouts: LogoutService) {}

  /** Ends the caller's session(s): `global` (default), `local` or `others`. Idempotent. */
  @Post('logout')
  @ApiOperation({
    summary: 'End this session, every session, or every other session',
    description:
      'Revokes the refresh tokens of the ended sessions and makes their access tokens unusable at once. Idempotent: a valid token of an already-ended session gets 200 and revokes nothing more. 20 requests per 5 minutes per user; every attempt is audited.',
  })
  @ApiBody({ type: LogoutDto, required: false })
  @ApiOkResponse({ type: MessageResponse })
  @ApiErrors(400, 401, 415, 429)
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
