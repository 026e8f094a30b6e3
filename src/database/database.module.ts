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
        await dataSource.initialize();
        await runMigrations(dataSource);
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
