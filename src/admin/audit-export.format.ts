import { type AuditEventView } from './admin-audit.service';
import { type ExportFormat } from './dto/audit-export.query';

export const AUDIT_EXPORT_COLUMNS = [
  'id',
  'occurredAt',
  'action',
  'outcome',
  'actorUserId',
  'subjectUserId',
  'sessionId',
  'scope',
  'reason',
  'ipAddress',
  'userAgent',
  'requestId',
] as const satisfies readonly (keyof AuditEventView)[];

/**
 * RFC 4180 quoting, and a leading quote on values a spreadsheet would run as a formula
 * (user agents and reasons are attacker-chosen text).
 */
function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const AUDIT_EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export function exportHeader(format: ExportFormat): string {
  return format === 'csv' ? `${AUDIT_EXPORT_COLUMNS.join(',')}\r\n` : '';
}

export function exportLine(format: ExportFormat, event: AuditEventView): string {
  if (format === 'ndjson') {
    const ordered = Object.fromEntries(AUDIT_EXPORT_COLUMNS.map((key) => [key, event[key]]));
    return `${JSON.stringify(ordered)}\n`;
  }
  return `${AUDIT_EXPORT_COLUMNS.map((key) => csvField(event[key])).join(',')}\r\n`;
}
