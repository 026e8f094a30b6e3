import { retryAfterSeconds, sendHonouringRetryAfter } from '../src/retry-after';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');

function answer(status: number, retryAfter?: string): Response {
  return new Response(JSON.stringify({ statusCode: status }), {
    status,
    headers: retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
  });
}

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterSeconds(answer(429, '7'), NOW)).toBe(7);
    expect(retryAfterSeconds(answer(503, 'Tue, 01 Dec 2026 12:00:30 GMT'), NOW)).toBe(30);
    expect(retryAfterSeconds(answer(503, 'Tue, 01 Dec 2026 11:00:00 GMT'), NOW)).toBe(0);
    expect(retryAfterSeconds(answer(429, 'soon'), NOW)).toBeUndefined();
    expect(retryAfterSeconds(answer(429), NOW)).toBeUndefined();
  });

  it('waits as long as the service asks, then sends the same request again', async () => {
    const answers = [answer(503, '2'), answer(429, '1'), answer(200)];
    const bodies: string[] = [];
    const delays: number[] = [];
    const response = await sendHonouringRetryAfter(
      async (request) => {
        bodies.push(await request.text());
        return answers.shift()!;
      },
      new Request('http://service/auth/login', { method: 'POST', body: '{"email":"a@b.c"}' }),
      {
        maxRetries: 2,
        maxDelaySeconds: 30,
        now: () => NOW,
        sleep: (ms) => {
          delays.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(response.status).toBe(200);
    expect(delays).toEqual([2000, 1000]);
    expect(bodies).toEqual(Array(3).fill('{"email":"a@b.c"}'));
  });

  it('hands back a refusal whose wait is too long, absent, or past the retries', async () => {
    const policy = {
      maxRetries: 1,
      maxDelaySeconds: 10,
      now: () => NOW,
      sleep: () => Promise.resolve(),
    };
    const once = (responses: Response[]) => {
      let calls = 0;
      return {
        send: () => Promise.resolve(responses[calls++]),
        calls: () => calls,
      };
    };
    for (const responses of [
      [answer(429, '60')],
      [answer(503)],
      [answer(429, '1'), answer(429, '1')],
    ]) {
      const sender = once(responses);
      const response = await sendHonouringRetryAfter(
        sender.send,
        new Request('http://service/x'),
        policy,
      );
      expect(response.status).toBe(responses[0].status);
      expect(sender.calls()).toBe(responses.length);
    }
  });
});
