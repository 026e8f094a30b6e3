import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { Public } from '../../common/decorators/public.decorator';
import { requirePublicBaseUrl } from '../../oauth/public-base-url';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { BEARER, SERVICE_CLIENT } from '../../openapi/openapi.setup';
import { StreamConfigurationResponse } from '../dto/stream-configuration.response';
import { OptionalStreamIdQuery, StreamIdQuery } from '../dto/stream-id.query';
import { StreamRequestDto } from '../dto/stream-request.dto';
import { StreamStatusDto, StreamStatusResponse } from '../dto/stream-status.dto';
import { StreamUpdateDto } from '../dto/stream-update.dto';
import { VerifyStreamDto } from '../dto/verify-stream.dto';
import { ReceiverGuard } from '../guards/receiver.guard';
import { type StreamConfiguration, StreamService } from '../services/stream.service';

/** SSF 1.0 §8.1 stream management: each receiver (service client) manages its own stream. */
@ApiTags('security-events')
@ApiSecurity(BEARER)
@ApiSecurity(SERVICE_CLIENT)
@Controller('ssf/streams')
@Public()
@UseGuards(ReceiverGuard)
export class StreamController {
  constructor(
    private readonly streams: StreamService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create the client’s stream (back-filled with recent endings)' })
  @ApiBody({ type: StreamRequestDto })
  @ApiCreatedResponse({ type: StreamConfigurationResponse })
  @ApiErrors(400, 401, 409, 415)
  create(
    @Body() body: StreamRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.create(request.serviceClient!.id, body, this.base());
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Read the client’s stream; without stream_id, the list of its streams',
  })
  @ApiExtraModels(StreamConfigurationResponse)
  @ApiOkResponse({ type: StreamConfigurationResponse })
  @ApiErrors(400, 401, 404)
  read(
    @Query() query: OptionalStreamIdQuery,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration | StreamConfiguration[]> {
    const client = request.serviceClient!.id;
    return query.stream_id === undefined
      ? this.streams.list(client, this.base())
      : this.streams.read(client, query.stream_id, this.base());
  }

  @Patch()
  @ApiOperation({ summary: 'Update the named properties of the stream' })
  @ApiBody({ type: StreamUpdateDto })
  @ApiOkResponse({ type: StreamConfigurationResponse })
  @ApiErrors(400, 401, 404, 415)
  update(
    @Body() body: StreamUpdateDto,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.update(
      request.serviceClient!.id,
      body.stream_id,
      body,
      'patch',
      this.base(),
    );
  }

  @Put()
  @ApiOperation({ summary: 'Replace the receiver-supplied properties of the stream' })
  @ApiBody({ type: StreamUpdateDto })
  @ApiOkResponse({ type: StreamConfigurationResponse })
  @ApiErrors(400, 401, 404, 415)
  replace(
    @Body() body: StreamUpdateDto,
    @Req() request: FastifyRequest,
  ): Promise<StreamConfiguration> {
    return this.streams.update(
      request.serviceClient!.id,
      body.stream_id,
      body,
      'replace',
      this.base(),
    );
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the stream and its undelivered events' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 401, 404)
  async delete(@Query() query: StreamIdQuery, @Req() request: FastifyRequest): Promise<void> {
    await this.streams.delete(request.serviceClient!.id, query.stream_id);
  }

  @Get('status')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The stream’s status: enabled, paused or disabled' })
  @ApiOkResponse({ type: StreamStatusResponse })
  @ApiErrors(400, 401, 404)
  status(@Query() query: StreamIdQuery, @Req() request: FastifyRequest) {
    return this.streams.status(request.serviceClient!.id, query.stream_id);
  }

  @Post('status')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Change the stream’s status (paused keeps events, disabled drops new ones)',
  })
  @ApiBody({ type: StreamStatusDto })
  @ApiOkResponse({ type: StreamStatusResponse })
  @ApiErrors(400, 401, 404, 415)
  setStatus(@Body() body: StreamStatusDto, @Req() request: FastifyRequest) {
    return this.streams.setStatus(
      request.serviceClient!.id,
      body.stream_id,
      body.status,
      body.reason,
    );
  }

  @Post('verify')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Ask for a verification event on the stream (SSF 1.0 §8.1.4.2)' })
  @ApiBody({ type: VerifyStreamDto })
  @ApiNoContentResponse({ description: 'Queued; it arrives like any other event' })
  @ApiErrors(400, 401, 404, 415)
  async verify(@Body() body: VerifyStreamDto, @Req() request: FastifyRequest): Promise<void> {
    await this.streams.verify(request.serviceClient!.id, body.stream_id, body.state);
  }

  private base(): string {
    return requirePublicBaseUrl(this.config);
  }
}
