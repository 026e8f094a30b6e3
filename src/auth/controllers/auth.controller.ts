import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { BEARER } from '../../openapi/openapi.setup';
import { ProfileResponse } from '../dto/profile.response';
import { RegisteredUserResponse } from '../dto/registered-user.response';
import { TokenPairResponse } from '../dto/token-pair.response';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { NoStore } from '../../common/http/no-store.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { AuditRefusals } from '../decorators/audit-refusals.decorator';
import { LoginDto } from '../dto/login.dto';
import { RefreshDto } from '../dto/refresh.dto';
import { RegisterDto } from '../dto/register.dto';
import { AuthService, type RegisteredUser, type TokenPair } from '../services/auth.service';
import { UserService, type Profile } from '../services/user.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserService,
  ) {}

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create an account (emails compare case-insensitively)' })
  @ApiCreatedResponse({ type: RegisteredUserResponse })
  @ApiErrors(400, 409, 413, 415, 429)
  @AuditRefusals('register')
  @RateLimited('register')
  register(@Body() body: RegisterDto): Promise<RegisteredUser> {
    return this.auth.register(body.email, body.password);
  }

  @Public()
  @Post('login')
  @ApiOperation({ summary: 'Sign in: starts a session and returns a token pair' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('login')
  login(@Body() body: LoginDto, @Client() client: ClientContext): Promise<TokenPair> {
    return this.auth.login(body.email, body.password, client);
  }

  @Public()
  @Post('refresh')
  @ApiOperation({
    summary: 'Rotate the refresh token',
    description:
      'Single use. A retired token presented again revokes the session (401); its immediate parent within REFRESH_TOKEN_REUSE_INTERVAL gets 409.',
  })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors(400, 401, 409, 415)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('refresh')
  refresh(@Body() body: RefreshDto, @Client() client: ClientContext): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, client);
  }

  @Get('me')
  @ApiBearerAuth(BEARER)
  @ApiOperation({ summary: 'The bearer of the access token' })
  @ApiOkResponse({ type: ProfileResponse })
  @ApiErrors(401)
  me(@CurrentUser() user: AuthenticatedUser): Promise<Profile> {
    return this.users.profile(user);
  }
}
