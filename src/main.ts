import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, loadConfig, readProcessEnvironment } from './config/app-config';
import { ConfigError } from './config/config.error';
import { GracefulShutdown } from './graceful-shutdown';

async function bootstrap(): Promise<void> {
  try {
    loadConfig(readProcessEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One clear line naming the variable, and no stack trace.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bodyParser: false,
    bufferLogs: true,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  configureApp(app);
  const { port } = app.get(AppConfig);
  await app.listen(port);
  new GracefulShutdown(app, logger).listen();
  logger.log(`Auth service listening on port ${port}`, 'Bootstrap');
}

void bootstrap();
