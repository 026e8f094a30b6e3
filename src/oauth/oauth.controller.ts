import {
  Body,
  Controller,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { type Request } from 'express';
import { Public } from '../common/decorators/public.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { RateLimited } from '../auth/throttling/rate-limited.decorator';
import { TokenRequestDto } from './dto/token-request.dto';
import { ServiceClientGuard } from './service-client.guard';
import {
  type Introspection,
  parseTokenTypeHint,
  TokenIntrospectionService,
} from './token-introspection.service';

/** RFC 7662 and RFC 7009 for other services: form-encoded, HTTP Basic client authentication. */
@Controller('oauth')
@Public()
@UseGuards(ServiceClientGuard)
export class OAuthController {
  constructor(private readonly tokens: TokenIntrospectionService) {}

  @Post('introspect')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @RateLimited('oauth')
  introspect(@Body() body: TokenRequestDto): Promise<Introspection> {
    // RFC 7662 lets the server ignore hints; an unknown one only loses its ordering.
    const hint =
      body.token_type_hint === 'refresh_token' || body.token_type_hint === 'access_token'
        ? body.token_type_hint
        : undefined;
    return this.tokens.introspect(body.token, hint);
  }

  @Post('revoke')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @RateLimited('oauth')
  async revoke(
    @Body() body: TokenRequestDto,
    @Req() request: Request,
    @Client() client: ClientContext,
  ): Promise<void> {
    const hint = parseTokenTypeHint(body.token_type_hint);
    await this.tokens.revoke(body.token, hint, request.serviceClient!.id, client);
  }
}
