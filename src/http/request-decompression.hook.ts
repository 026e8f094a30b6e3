import { type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain.error';

const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Compressed request bodies (gzip, deflate, br) are inflated before parsing, as Express' body
 * parser did. Fastify counts the body limit on the inflated bytes (`receivedEncodedLength`
 * reports the wire bytes), so a small body that inflates past 100 KiB is 413, not a bomb.
 */
export function requestDecompressionHook(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: Readable,
  done: (error: Error | null, payload?: Readable) => void,
): void {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding === undefined || encoding === '' || encoding === 'identity') {
    return done(null, payload);
  }
  const decoder = DECODERS[encoding];
  if (decoder === undefined) {
    return done(new DomainError('unsupported_media_type', 'Unsupported body encoding'));
  }
  const inflated = Object.assign(decoder(), { receivedEncodedLength: 0 });
  payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => inflated.destroy(error));
  done(null, payload.pipe(inflated));
}
