import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { Public } from '../common/decorators/public.decorator';
import { DatabaseHealthIndicator } from './database.health';
import { RedisHealthIndicator } from './redis.health';

const CHECK_TIMEOUT_MS = 1_000;

@ApiTags('operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** 200 while the process runs and its event loop answers. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the database (and Redis, where configured) answer within a second; 503 naming what failed. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the database and (where configured) Redis answer within a second',
  })
  @ApiErrors(503)
  // Documented here: a failed check reaches clients in the contract's error shape, not terminus' own.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse({
    description: 'Every check is up',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', example: 'ok' },
        details: {
          type: 'object',
          example: { database: { status: 'up' }, redis: { status: 'up' } },
        },
      },
    },
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.check(CHECK_TIMEOUT_MS),
      () => this.redis.check(CHECK_TIMEOUT_MS),
    ]);
  }
}
