import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { createDataSource, runMigrations } from './data-source.factory';

/** Provides the initialised, migrated `DataSource`; closes it (and the embedded database) on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<DataSource> => {
        const dataSource = await createDataSource(config);
        try {
          await dataSource.initialize();
          await runMigrations(dataSource);
        } catch (error) {
          // A refused start (a migration that refuses, a database that is down) leaves no pool behind.
          await dataSource.destroy().catch(() => undefined);
          throw error;
        }
        new Logger('Database').log(
          config.databaseUrl
            ? 'Connected to PostgreSQL'
            : `Embedded PostgreSQL (PGlite) in ${config.dataDir}`,
        );
        return dataSource;
      },
    },
  ],
  exports: [DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    await this.dataSource.destroy();
  }
}
