import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { BEARER } from '../openapi/openapi.setup';
import { Roles } from '../auth/decorators/roles.decorator';
import { AdminAuditService, type AdminStats, type AuditEventView } from './admin-audit.service';
import { AUDIT_EXPORT_MEDIA_TYPES } from './audit-export.format';
import { AdminStatsResponse } from './dto/admin-stats.response';
import { AuditEventPageResponse } from './dto/audit-event.response';
import { AuditEventsQuery } from './dto/audit-events.query';
import { AuditExportQuery } from './dto/audit-export.query';

@ApiTags('admin')
@ApiBearerAuth(BEARER)
@ApiErrors(401, 403)
@Controller('admin')
@Roles('admin')
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditService) {}

  @Get('audit-events')
  @ApiOperation({ summary: 'The audit trail, newest first, in keyset pages' })
  @ApiOkResponse({ type: AuditEventPageResponse })
  @ApiErrors(400)
  auditEvents(
    @Query() query: AuditEventsQuery,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    return this.audit.page(query);
  }

  @Get('audit-events/export')
  @ApiOperation({
    summary: 'The filtered audit trail as CSV or NDJSON, streamed newest first',
    description:
      'Streamed in keyset batches: memory stays constant whatever the size. CSV values that a spreadsheet would evaluate as formulas are prefixed with a quote.',
  })
  @ApiProduces(AUDIT_EXPORT_MEDIA_TYPES.csv, AUDIT_EXPORT_MEDIA_TYPES.ndjson)
  @ApiOkResponse({ description: 'The events, one per line (CSV with a header row)' })
  @ApiErrors(400)
  @Header('Cache-Control', 'no-store')
  export(@Query() query: AuditExportQuery): StreamableFile {
    const format = query.format ?? 'csv';
    const { stream, fileName } = this.audit.export(query, format);
    return new StreamableFile(stream, {
      type: AUDIT_EXPORT_MEDIA_TYPES[format],
      disposition: `attachment; filename="${fileName}"`,
    });
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Counts for the console’s status strip over the last 24 hours',
  })
  @ApiOkResponse({ type: AdminStatsResponse })
  stats(): Promise<AdminStats> {
    return this.audit.stats();
  }
}
