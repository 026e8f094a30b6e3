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
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { type SessionView, toSessionView } from '../auth/services/account.service';
import {
  type AdminLogoutResult,
  AdminService,
  type AdminUserView,
  type StatusChangeView,
} from './admin.service';
import { AdminLogoutDto } from './dto/admin-logout.dto';
import { AdminLogoutResponse } from './dto/admin-logout.response';
import {
  AdminUserPageResponse,
  AdminUserResponse,
  StatusChangeResponse,
} from './dto/admin-user.response';
import { ReasonDto } from './dto/reason.dto';
import { UserSearchQuery } from './dto/user-search.query';

const STEP_UP =
  'Needs a recent sign-in: an access token whose auth_time is within ADMIN_STEP_UP_MAX_AGE, else 403 with code reauthentication_required.';

@ApiTags('admin')
@ApiBearerAuth(BEARER)
@ApiErrors(401, 403)
@Controller('admin/users')
@Roles('admin')
export class AdminUsersController {
  constructor(private readonly admin: AdminService) {}

  @Get()
  @ApiOperation({
    summary: 'Find users by email prefix (case-insensitive) or exact id, in keyset pages',
  })
  @ApiOkResponse({ type: AdminUserPageResponse })
  @ApiErrors(400)
  search(
    @Query() query: UserSearchQuery,
  ): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
    return this.admin.searchUsers(query.query, query.limit, query.cursor);
  }

  @Get(':userId')
  @ApiOperation({ summary: 'One user, with status and live session count' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: AdminUserResponse })
  @ApiErrors(400, 404)
  user(@Param('userId', uuidParam('userId')) userId: string): Promise<AdminUserView> {
    return this.admin.user(userId);
  }

  @Get(':userId/sessions')
  @ApiOperation({ summary: 'A user’s active sessions' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: [SessionResponse] })
  @ApiErrors(400, 404)
  async sessions(@Param('userId', uuidParam('userId')) userId: string): Promise<SessionView[]> {
    return (await this.admin.sessionsOf(userId)).map(toSessionView);
  }

  @Post(':userId/logout')
  @ApiOperation({
    summary: 'Log a user out of every device',
    description: `Ends every session exactly as a global logout does; audited as admin_logout with the admin as actor. ${STEP_UP}`,
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

  @Post(':userId/suspend')
  @ApiOperation({
    summary: 'Suspend a user: no login or refresh, every session ends at once',
    description: `Audited as user_suspended. Repeating it ends anything left and reports changed: false. ${STEP_UP}`,
  })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: StatusChangeResponse })
  @ApiErrors(400, 404, 415)
  @HttpCode(HttpStatus.OK)
  suspend(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('userId', uuidParam('userId')) userId: string,
    @Body() body: ReasonDto,
    @Client() client: ClientContext,
  ): Promise<StatusChangeView> {
    return this.admin.suspend(admin, userId, body.reason, client);
  }

  @Post(':userId/reactivate')
  @ApiOperation({
    summary: 'Let a suspended user log in again',
    description: 'Audited as user_reactivated. Sessions ended by the suspension stay ended.',
  })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: StatusChangeResponse })
  @ApiErrors(400, 404, 415)
  @HttpCode(HttpStatus.OK)
  reactivate(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('userId', uuidParam('userId')) userId: string,
    @Body() body: ReasonDto,
    @Client() client: ClientContext,
  ): Promise<StatusChangeView> {
    return this.admin.reactivate(admin, userId, body.reason, client);
  }
}
