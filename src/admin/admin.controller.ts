import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { uuidParam } from '../common/http/uuid-param';
import { SessionResponse } from '../auth/dto/session.response';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { BEARER } from '../openapi/openapi.setup';
import { AdminLogoutResponse } from './dto/admin-logout.response';
import { AuditEventPageResponse } from './dto/audit-event.response';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { type SessionView, toSessionView } from '../auth/services/account.service';
import { AdminService, type AdminLogoutResult, type AuditEventView } from './admin.service';
import { AdminLogoutDto } from './dto/admin-logout.dto';
import { AuditEventsQuery } from './dto/audit-events.query';

@ApiTags('admin')
@ApiBearerAuth(BEARER)
@ApiErrors(401, 403)
@Controller('admin')
@Roles('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('users/:userId/logout')
  @ApiOperation({
    summary: 'Log a user out of every device',
    description:
      'Ends every session exactly as a global logout does; audited as admin_logout with the admin as actor.',
  })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiBody({ type: AdminLogoutDto, required: false })
  @ApiOkResponse({ type: AdminLogoutResponse })
  @ApiErrors(400, 404, 415)
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
  @ApiOperation({ summary: 'A user’s active sessions' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: [SessionResponse] })
  @ApiErrors(400, 404)
  async sessions(@Param('userId', uuidParam('userId')) userId: string): Promise<SessionView[]> {
    return (await this.admin.sessionsOf(userId)).map(toSessionView);
  }

  @Get('audit-events')
  @ApiOperation({ summary: 'The audit trail, newest first, in keyset pages' })
  @ApiOkResponse({ type: AuditEventPageResponse })
  @ApiErrors(400)
  auditEvents(
    @Query() query: AuditEventsQuery,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    return this.admin.auditTrail(query);
  }
}
