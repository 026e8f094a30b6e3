import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { helmetHeaders } from './security-headers';

describe('helmetHeaders', () => {
  it('are exactly the headers helmet sets on a response', () => {
    const request = new IncomingMessage(new Socket());
    const response = new ServerResponse(request);
    response.setHeader('X-Powered-By', 'something');
    helmet()(request, response, () => undefined);
    const { 'x-powered-by': removed, ...expected } = response.getHeaders();

    expect(removed).toBeUndefined();
    expect(helmetHeaders()).toEqual(expected);
    expect(helmetHeaders()['content-security-policy']).toContain("default-src 'self'");
  });
});
