import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * Every metric the service exposes, in a registry of this app's own (several apps in one
 * process, as in tests, never collide in prom-client's global registry).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly logouts = new Counter({
    name: 'auth_logouts_total',
    help: 'Logout attempts by scope and outcome',
    labelNames: ['scope', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshReuse = new Counter({
    name: 'auth_refresh_token_reuse_detected_total',
    help: 'Retired refresh tokens presented again (the session was revoked)',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'auth_rate_limit_refusals_total',
    help: 'Requests refused with 429, by bucket',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });

  readonly revocationChecks = new Counter({
    name: 'auth_revocation_checks_total',
    help: 'Access-token revocation checks: hits answered by the store, misses asked PostgreSQL',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly securityEventDeliveries = new Counter({
    name: 'ssf_deliveries_total',
    help: 'Security events handed to receivers, by method (poll, push, backchannel) and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly securityEventsDropped = new Counter({
    name: 'ssf_events_dropped_total',
    help: 'Undelivered security events dropped after SSF_UNDELIVERED_RETENTION, by receiver',
    labelNames: ['receiver'] as const,
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
        if (!pool) return;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
}
