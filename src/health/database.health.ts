import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { withTimeout } from './with-timeout';

@Injectable()
export class DatabaseHealthIndicator {
  private readonly logger = new Logger(DatabaseHealthIndicator.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(timeoutMs: number) {
    const indicator = this.indicators.check('database');
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), timeoutMs);
      return indicator.up();
    } catch (error) {
      // The client's error text (addresses, user names, driver internals) goes to the log only;
      // the unauthenticated caller learns which check failed, nothing more.
      this.logger.warn(
        `Readiness: the database check failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return indicator.down();
    }
  }
}
