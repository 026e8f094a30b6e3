import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { Client, type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { LoginDto } from '../dto/login.dto';
import { RefreshDto } from '../dto/refresh.dto';
import { RegisterDto } from '../dto/register.dto';
import { AuthService, type RegisteredUser, type TokenPair } from '../services/auth.service';
import { UserService, type Profile } from '../services/user.service';
import { RateLimited } from '../throttling/rate-limited.decorator';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserService,
  ) {}

  @Public()
  @Post('register')
  register(@Body() body: RegisterDto): Promise<RegisteredUser> {
    return this.auth.register(body.email, body.password);
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @RateLimited('login-ip', 'login-account')
  login(@Body() body: LoginDto, @Client() client: ClientContext): Promise<TokenPair> {
    return this.auth.login(body.email, body.password, client);
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  refresh(@Body() body: RefreshDto, @Client() client: ClientContext): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, client);
  }

  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): Promise<Profile> {
    return this.users.profile(user);
  }
}
