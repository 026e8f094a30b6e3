import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { type SessionView, toSessionView } from '../auth/services/account.service';
import { AdminService, type AdminLogoutResult, type AuditEventView } from './admin.service';
import { AdminLogoutDto } from './dto/admin-logout.dto';
import { AuditEventsQuery } from './dto/audit-events.query';
import { DomainError } from '../common/errors/domain.error';

/** A path id that must be a UUID: 400 naming the parameter, as every validation error does. */
const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => new DomainError('validation_failed', `${name} must be a UUID`),
  });

@Controller('admin')
@Roles('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('users/:userId/logout')
  @HttpCode(HttpStatus.OK)
  logoutUser(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('userId', uuidParam('userId')) userId: string,
    @Body() body: AdminLogoutDto,
    @Client() client: ClientContext,
  ): Promise<AdminLogoutResult> {
    return this.admin.logoutUser(admin, userId, body.reason, client);
  }

  @Get('users/:userId/sessions')
  async sessions(@Param('userId', uuidParam('userId')) userId: string): Promise<SessionView[]> {
    return (await this.admin.sessionsOf(userId)).map(toSessionView);
  }

  @Get('audit-events')
  auditEvents(
    @Query() query: AuditEventsQuery,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    return this.admin.auditTrail(query);
  }
}
