import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AuthClient } from '../src/core/auth-client';
import { type AuthenticatedUser } from '../src/core/access-token.verifier';
import { AuthClientModule } from '../src/nest/auth-client.module';
import { CurrentSession, CurrentUser } from '../src/nest/current-user.decorator';
import { Public } from '../src/nest/public.decorator';
import {
  AUDIENCE,
  CLIENT_ID,
  CLIENT_SECRET,
  eventually,
  FakeAuthService,
  ISSUER,
} from './fake-auth-service';

@Controller()
class OrdersController {
  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }

  @Get('orders')
  orders(@CurrentUser() user: AuthenticatedUser, @CurrentSession() sessionId: string) {
    return { userId: user.userId, sessionId, roles: user.roles };
  }
}

describe('AuthClientModule', () => {
  let service: FakeAuthService;
  let app: INestApplication;

  const boot = async (
    options: { staleAfterMs?: number; delivery?: { method: 'push'; endpointUrl: string } } = {},
  ) => {
    @Module({
      imports: [
        AuthClientModule.forRoot({
          issuer: ISSUER,
          audience: AUDIENCE,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          serviceUrl: service.baseUrl,
          retryDelayMs: { first: 10, max: 50 },
          ...options,
        }),
      ],
      controllers: [OrdersController],
    })
    class OrdersModule {}
    const moduleRef = await Test.createTestingModule({ imports: [OrdersModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  };

  beforeEach(async () => {
    service = await new FakeAuthService().start();
  });
  afterEach(async () => {
    await app?.close();
    await service.stop();
  });

  it('guards every route but @Public() ones and hands the caller to the decorators', async () => {
    await boot();
    const client = app.get(AuthClient);
    await eventually(() => client.isStreamFresh());
    await request(app.getHttpServer()).get('/health').expect(200, { ok: true });
    const missing = await request(app.getHttpServer()).get('/orders').expect(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body).toEqual(
      expect.objectContaining({ statusCode: 401, code: 'invalid_token' }),
    );

    const token = await service.accessToken('s1');
    await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
      .expect(200, { userId: 'user-1', sessionId: 's1', roles: ['user'] });

    await service.endSession('s1');
    await eventually(() => client.hasSessionEnded('s1'));
    const ended = await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(ended.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(ended.body).toEqual(expect.objectContaining({ code: 'session_ended' }));
  });

  it('answers 503, not 200, when its stream is stale and introspection cannot be reached', async () => {
    service.streamDown = true;
    service.introspectionDown = true;
    await boot();
    const token = await service.accessToken('s1');
    const response = await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `Bearer ${token}`)
      .expect(503);
    expect(response.body).toEqual(expect.objectContaining({ code: 'verification_unavailable' }));
  });

  it('stops its stream with the application, acknowledging what it applied', async () => {
    await boot();
    const client = app.get(AuthClient);
    await eventually(() => client.isStreamFresh());
    const jti = await service.endSession('s2');
    await eventually(() => client.hasSessionEnded('s2'));
    await app.close();
    expect(service.acks).toContain(jti);
  });

  it('serves the push endpoint at the path of its endpointUrl', async () => {
    await boot({ delivery: { method: 'push', endpointUrl: 'https://orders.example/ssf/events' } });
    const set = await service.sessionRevokedSet('s3');
    await request(app.getHttpServer())
      .post('/ssf/events')
      .set('Content-Type', 'application/secevent+jwt')
      .send(set)
      .expect(202);
    expect(app.get(AuthClient).hasSessionEnded('s3')).toBe(true);
    const refused = await request(app.getHttpServer())
      .post('/ssf/events')
      .set('Content-Type', 'application/secevent+jwt')
      .send(await service.sessionRevokedSet('s4', { aud: 'billing' }))
      .expect(400);
    expect(refused.body).toEqual(expect.objectContaining({ err: 'invalid_audience' }));
    expect(app.get(AuthClient).hasSessionEnded('s4')).toBe(false);
  });
});
