import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiNoContentResponse,
} from '@nestjs/swagger';
import { Body, Controller, Delete, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { uuidParam } from '../common/http/uuid-param';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { BEARER } from '../openapi/openapi.setup';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { AdminService } from './admin.service';
import { AdminLogoutDto } from './dto/admin-logout.dto';
import { RevokeAllDto, RevokeAllResponse } from './dto/revoke-all.dto';

@ApiTags('admin')
@ApiBearerAuth(BEARER)
@ApiErrors(401, 403)
@Controller('admin/sessions')
@Roles('admin')
export class AdminSessionsController {
  constructor(private readonly admin: AdminService) {}

  @Post('revoke-all')
  @ApiOperation({
    summary: 'Emergency brake: end every live session started before an instant',
    description:
      'Ends sessions of every user in bounded batches; audited once as admin_revoke_all plus one session_revoked event per session. Needs a recent sign-in (auth_time within ADMIN_STEP_UP_MAX_AGE), else 403 reauthentication_required.',
  })
  @ApiOkResponse({ type: RevokeAllResponse })
  @ApiErrors(400, 415)
  @HttpCode(HttpStatus.OK)
  revokeAll(
    @CurrentUser() admin: AuthenticatedUser,
    @Body() body: RevokeAllDto,
    @Client() client: ClientContext,
  ): Promise<{ revokedSessions: number; timestamp: string }> {
    return this.admin.revokeAll(admin, body.reason, body.issuedBefore, client);
  }

  @Delete(':sessionId')
  @ApiOperation({
    summary: 'End one session of any user',
    description: 'Audited as admin_session_revoked with the admin as actor.',
  })
  @ApiParam({ name: 'sessionId', format: 'uuid' })
  @ApiBody({ type: AdminLogoutDto, required: false })
  @ApiNoContentResponse({ description: 'The session has ended' })
  @ApiErrors(400, 404, 415)
  @HttpCode(HttpStatus.NO_CONTENT)
  endSession(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('sessionId', uuidParam('sessionId')) sessionId: string,
    @Body() body: AdminLogoutDto,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.admin.endSession(admin, sessionId, body.reason, client);
  }
}
