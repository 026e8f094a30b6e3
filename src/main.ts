import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './app.setup';
import { AppConfig, loadConfig, readProcessEnvironment } from './config/app-config';
import { ConfigError } from './config/config.error';
import { GracefulShutdown } from './graceful-shutdown';

/**
 * Every interface, IPv6 and IPv4, as Node picks when given no host (Fastify alone would take
 * only localhost); IPv4 alone where the host has no IPv6.
 */
async function listenOnEveryInterface(app: NestFastifyApplication, port: number): Promise<void> {
  try {
    await app.listen(port, '::');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw error;
    await app.listen(port, '0.0.0.0');
  }
}

async function bootstrap(): Promise<void> {
  try {
    loadConfig(readProcessEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One clear line naming the variable, and no stack trace.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createHttpAdapter(),
    {
      bodyParser: false,
      // Start-up lines wait for the JSON logger; a failed start-up is reported below, in one line
      // (Nest would otherwise print its buffered lines and the stack in its own colored format).
      bufferLogs: true,
      autoFlushLogs: false,
      abortOnError: false,
    },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  configureApp(app);
  const { port } = app.get(AppConfig);
  await listenOnEveryInterface(app, port);
  new GracefulShutdown(app, logger).listen();
  logger.log(`Auth service listening on port ${port}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // An unreachable database, a port in use, a second instance refused: one clear line, exit 1.
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Start-up failed: ${reason.split('\n')[0]}\n`);
  process.exit(1);
});
