import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConsumerModule } from './consumer.module';

/**
 * The example consumer as a process (the propagation bench runs it this way):
 * AUTH_SERVICE_URL, AUTH_CLIENT_ID, AUTH_CLIENT_SECRET, optional AUTH_ISSUER / AUTH_AUDIENCE
 * (default `auth-service`), PORT, and AUTH_PUSH_URL to receive events by push instead of poll.
 */
async function bootstrap(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const pushUrl = process.env.AUTH_PUSH_URL;
  const app = await NestFactory.create(
    ConsumerModule.forRoot({
      issuer: process.env.AUTH_ISSUER ?? 'auth-service',
      audience: process.env.AUTH_AUDIENCE ?? 'auth-service',
      serviceUrl: env('AUTH_SERVICE_URL'),
      clientId: env('AUTH_CLIENT_ID'),
      clientSecret: env('AUTH_CLIENT_SECRET'),
      delivery: pushUrl ? { method: 'push', endpointUrl: pushUrl } : { method: 'poll' },
    }),
    { logger: ['error', 'warn'] },
  );
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3100), '127.0.0.1');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`consumer failed to start: ${String(error)}\n`);
  process.exit(1);
});
