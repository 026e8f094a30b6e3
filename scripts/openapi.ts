import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { format, resolveConfig } from 'prettier';
import { AppModule } from '../src/app.module';
import { createHttpAdapter } from '../src/app.setup';
import { buildOpenApiDocument } from '../src/openapi/openapi.setup';

/** Where the committed document lives; the e2e suite fails when the served one differs. */
export const OPENAPI_FILE = join(__dirname, '..', 'docs', 'openapi.json');

/**
 * Writes docs/openapi.json from the controllers' metadata. Preview mode resolves the modules
 * without instantiating a provider, so no database, Redis or signing key is needed.
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(
    AppModule.forRoot({ LOG_LEVEL: 'silent' }),
    createHttpAdapter(),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  const document = buildOpenApiDocument(app);
  await app.close();
  const options = await resolveConfig(OPENAPI_FILE);
  await writeFile(
    OPENAPI_FILE,
    await format(JSON.stringify(document), { ...options, parser: 'json' }),
  );
  process.stdout.write(`Wrote ${OPENAPI_FILE}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
