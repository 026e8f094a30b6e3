import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import {
  Body,
  Controller,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { type FastifyRequest, type FastifyReply } from 'fastify';
import { Public } from '../../common/decorators/public.decorator';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { BEARER, SERVICE_CLIENT } from '../../openapi/openapi.setup';
import { PollRequestDto, PollResponse } from '../dto/poll-request.dto';
import { ReceiverGuard } from '../guards/receiver.guard';
import { PollService } from '../services/poll.service';
import { StreamService } from '../services/stream.service';

/** RFC 8936 poll delivery on the stream's own URL. */
@ApiTags('security-events')
@ApiSecurity(BEARER)
@ApiSecurity(SERVICE_CLIENT)
@Controller('ssf/poll')
@Public()
@UseGuards(ReceiverGuard)
export class PollController {
  constructor(
    private readonly streams: StreamService,
    private readonly polls: PollService,
  ) {}

  @Post(':streamId')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Acknowledge SETs and receive the next ones (RFC 8936); long-polls by default',
  })
  @ApiParam({ name: 'streamId', format: 'uuid' })
  @ApiBody({ type: PollRequestDto })
  @ApiOkResponse({ type: PollResponse })
  @ApiErrors(400, 401, 404, 415)
  async poll(
    @Param('streamId') streamId: string,
    @Body() body: PollRequestDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) response: FastifyReply,
  ) {
    const stream = await this.streams.own(request.serviceClient!.id, streamId);
    // A receiver that hangs up stops the wait; its leased SETs come back after the lease.
    const hangUp = new AbortController();
    response.raw.on('close', () => hangUp.abort());
    return this.polls.poll(stream, body, hangUp.signal);
  }
}
