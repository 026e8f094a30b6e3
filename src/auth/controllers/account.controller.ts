import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { uuidParam } from '../../common/http/uuid-param';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { BEARER } from '../../openapi/openapi.setup';
import { MessageResponse } from '../dto/message.response';
import { ReauthenticatedResponse } from '../dto/reauthenticated.response';
import { OwnSessionResponse } from '../dto/session.response';
import { CurrentSession } from '../decorators/current-session.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { NoStore } from '../../common/http/no-store.decorator';
import { type SessionBearer } from '../authenticated-user';
import { AuditRefusals } from '../decorators/audit-refusals.decorator';
import { ChangePasswordDto } from '../dto/change-password.dto';
import { ReauthenticateDto } from '../dto/reauthenticate.dto';
import {
  AccountService,
  type Reauthenticated,
  type SessionView,
  toSessionView,
} from '../services/account.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@ApiTags('account')
@ApiBearerAuth(BEARER)
@Controller('auth')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Post('reauthenticate')
  @ApiOperation({
    summary: 'Prove the password again; returns an access token with a fresh auth_time',
  })
  @ApiOkResponse({ type: ReauthenticatedResponse })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('reauthenticate')
  @RateLimited('reauthenticate')
  reauthenticate(
    @CurrentSession() bearer: SessionBearer,
    @Body() body: ReauthenticateDto,
    @Client() client: ClientContext,
  ): Promise<Reauthenticated> {
    return this.account.reauthenticate(bearer, body.password, client);
  }

  @Post('password')
  @ApiOperation({ summary: 'Change the password; every other session of the user ends' })
  @ApiOkResponse({ type: MessageResponse })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @AuditRefusals('password_changed')
  @RateLimited('password')
  changePassword(
    @CurrentSession() bearer: SessionBearer,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientContext,
  ): Promise<{ message: string; timestamp: string }> {
    return this.account.changePassword(bearer, body.currentPassword, body.newPassword, client);
  }

  @Get('sessions')
  @ApiOperation({ summary: 'The active sessions of the bearer' })
  @ApiOkResponse({ type: [OwnSessionResponse] })
  @ApiErrors(401)
  async sessions(
    @CurrentSession() bearer: SessionBearer,
  ): Promise<(SessionView & { current: boolean })[]> {
    const sessions = await this.account.listSessions(bearer.userId);
    return sessions.map((session) => ({
      ...toSessionView(session),
      current: session.id === bearer.sessionId,
    }));
  }

  @Delete('sessions/:id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'End one of the bearer’s active sessions' })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiErrors(400, 401, 404)
  @HttpCode(HttpStatus.NO_CONTENT)
  @AuditRefusals('session_revoked')
  revokeSession(
    @CurrentSession() bearer: SessionBearer,
    @Param('id', uuidParam('id')) id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.account.revokeSession(bearer, id, client);
  }
}
