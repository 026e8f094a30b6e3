import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { Body, Controller, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { SERVICE_CLIENT } from '../openapi/openapi.setup';
import { IntrospectionResponse } from './dto/introspection.response';
import { Public } from '../common/decorators/public.decorator';
import { Client, type ClientContext } from '../common/http/client-context';
import { NoStore } from '../common/http/no-store.decorator';
import { RateLimited } from '../auth/throttling/rate-limited.decorator';
import { AuditRefusals } from '../auth/decorators/audit-refusals.decorator';
import { TokenRequestDto } from './dto/token-request.dto';
import { ClientCredentialsRequestDto } from './dto/client-credentials-request.dto';
import { ClientTokenResponse } from './dto/client-token.response';
import { type ClientToken, ClientTokenService } from './client-token.service';
import { ServiceClientGuard } from './service-client.guard';
import {
  type Introspection,
  parseTokenTypeHint,
  TokenIntrospectionService,
} from './token-introspection.service';

/** RFC 7662 and RFC 7009 for other services: form-encoded, HTTP Basic client authentication. */
@ApiTags('oauth')
@ApiSecurity(SERVICE_CLIENT)
@Controller('oauth')
@Public()
@UseGuards(ServiceClientGuard)
export class OAuthController {
  constructor(
    private readonly tokens: TokenIntrospectionService,
    private readonly clientTokens: ClientTokenService,
  ) {}

  @Post('token')
  @ApiOperation({
    summary: 'RFC 6749 §4.4 client credentials: an access token for the service client itself',
    description:
      'Only `grant_type=client_credentials`. The token (`typ: at+jwt`) carries `client_id` and ' +
      'no `sid`: SSF stream management accepts it, the user endpoints refuse it.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: ClientCredentialsRequestDto })
  @ApiOkResponse({ type: ClientTokenResponse })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('client_token')
  @RateLimited('oauth')
  token(
    @Body() body: ClientCredentialsRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<ClientToken> {
    return this.clientTokens.issue(request.serviceClient!.id, body.grant_type, body.audience);
  }

  @Post('introspect')
  @ApiOperation({ summary: 'RFC 7662 token introspection: is this token live, and whose is it?' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: IntrospectionResponse })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('token_introspection')
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
  @ApiOperation({
    summary: 'RFC 7009 token revocation: ends the session of an access or refresh token',
    description: '200 whether or not the token was valid.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ description: 'Revoked, or nothing to revoke' })
  @ApiErrors(400, 401, 415, 429)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @AuditRefusals('token_revocation')
  @RateLimited('oauth')
  async revoke(
    @Body() body: TokenRequestDto,
    @Req() request: FastifyRequest,
    @Client() client: ClientContext,
  ): Promise<void> {
    const hint = parseTokenTypeHint(body.token_type_hint);
    await this.tokens.revoke(body.token, hint, request.serviceClient!.id, client);
  }
}
