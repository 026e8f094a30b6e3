import {
  BadRequestException,
  Controller,
  HttpCode,
  Inject,
  Post,
  Req,
  ServiceUnavailableException,
  type Type,
} from '@nestjs/common';
import { AuthClient } from '../core/auth-client';
import { bodyAlreadyRead, readBody } from '../core/read-body';
import { Public } from './public.decorator';

interface PushRequest extends AsyncIterable<unknown> {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  rawBody?: Buffer;
  readable?: boolean;
  /** Fastify keeps Node's request here. */
  raw?: AsyncIterable<unknown> & { readable?: boolean };
}

/**
 * The RFC 8935 push endpoint at `path`, built per module so the path comes from options.
 * Express leaves an `application/secevent+jwt` body unread (its parsers skip that type), so
 * the controller reads the stream; Fastify needs a content-type parser for it (README).
 */
export function createPushReceiverController(path: string): Type {
  @Controller(path)
  @Public()
  class PushReceiverController {
    constructor(@Inject(AuthClient) private readonly client: AuthClient) {}

    @Post()
    @HttpCode(202)
    async receive(@Req() request: PushRequest): Promise<void> {
      const stream = request.raw ?? request;
      const body = bodyAlreadyRead(request) ?? (stream.readable ? await readBody(stream) : '');
      if (body === undefined) {
        throw new BadRequestException({ err: 'invalid_request', description: 'body too large' });
      }
      const contentType = request.headers['content-type'];
      const result = await this.client.receivePush(
        Array.isArray(contentType) ? contentType[0] : contentType,
        body,
      );
      if (result.status === 400) throw new BadRequestException(result.body);
      if (result.status === 503) throw new ServiceUnavailableException(result.body);
    }
  }
  return PushReceiverController;
}
