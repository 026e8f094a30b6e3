/** RFC 8935 bodies are one compact JWT; anything larger is not a SET. */
export const MAX_SET_BYTES = 64 * 1024;

/** The raw body of a request stream, or undefined when it exceeds `MAX_SET_BYTES`. */
export async function readBody(stream: AsyncIterable<unknown>): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_SET_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body a framework already read (string, Buffer or Nest's `rawBody`), if any. */
export function bodyAlreadyRead(request: {
  body?: unknown;
  rawBody?: unknown;
}): string | undefined {
  if (typeof request.body === 'string') return request.body;
  if (Buffer.isBuffer(request.body)) return request.body.toString('utf8');
  if (Buffer.isBuffer(request.rawBody)) return request.rawBody.toString('utf8');
  return undefined;
}
