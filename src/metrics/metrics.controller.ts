import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Res } from '@nestjs/common';
import { type Response } from 'express';
import { Public } from '../common/decorators/public.decorator';
import { Metrics } from './metrics';

@ApiTags('operations')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  /** Prometheus text exposition format. */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(@Res() response: Response): Promise<void> {
    // prom-client's exact media type (`text/plain; version=0.0.4; charset=utf-8`): Express'
    // `send` rewrites a string body's Content-Type (parameters reordered), not a Buffer's.
    const body = Buffer.from(await this.metrics.registry.metrics(), 'utf8');
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.setHeader('Cache-Control', 'no-store');
    response.send(body);
  }
}
