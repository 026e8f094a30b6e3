import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { CurrentSession } from '../../common/decorators/current-session.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { type SessionBearer } from '../authenticated-user';
import { ChangePasswordDto } from '../dto/change-password.dto';
import { ReauthenticateDto } from '../dto/reauthenticate.dto';
import {
  AccountService,
  type Reauthenticated,
  type SessionView,
  toSessionView,
} from '../services/account.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@Controller('auth')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Post('reauthenticate')
  @HttpCode(HttpStatus.OK)
  @RateLimited('reauthenticate')
  reauthenticate(
    @CurrentSession() bearer: SessionBearer,
    @Body() body: ReauthenticateDto,
    @Client() client: ClientContext,
  ): Promise<Reauthenticated> {
    return this.account.reauthenticate(bearer, body.password, client);
  }

  @Post('password')
  @HttpCode(HttpStatus.OK)
  @RateLimited('password')
  changePassword(
    @CurrentSession() bearer: SessionBearer,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientContext,
  ): Promise<{ message: string; timestamp: string }> {
    return this.account.changePassword(bearer, body.currentPassword, body.newPassword, client);
  }

  @Get('sessions')
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
  @HttpCode(HttpStatus.NO_CONTENT)
  revokeSession(
    @CurrentSession() bearer: SessionBearer,
    @Param('id', ParseUUIDPipe) id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.account.revokeSession(bearer, id, client);
  }
}
