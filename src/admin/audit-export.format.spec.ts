import { type AuditEventView } from './admin-audit.service';
import { AUDIT_EXPORT_COLUMNS, exportHeader, exportLine } from './audit-export.format';

const event: AuditEventView = {
  id: '6f1c2a52-3b1e-4d8e-9d57-1f2c3b4a5d6e',
  occurredAt: '2026-12-01T10:00:00.000Z',
  action: 'login',
  outcome: 'failure',
  actorUserId: null,
  subjectUserId: null,
  sessionId: null,
  scope: null,
  reason: 'invalid_credentials',
  ipAddress: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  requestId: 'req-1',
};

describe('audit export lines', () => {
  it('writes a CSV header naming every column, then one CRLF-terminated row per event', () => {
    expect(exportHeader('csv')).toBe(`${AUDIT_EXPORT_COLUMNS.join(',')}\r\n`);
    expect(exportLine('csv', event)).toBe(
      '6f1c2a52-3b1e-4d8e-9d57-1f2c3b4a5d6e,2026-12-01T10:00:00.000Z,login,failure,,,,,invalid_credentials,203.0.113.7,Mozilla/5.0,req-1\r\n',
    );
  });

  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    const line = exportLine('csv', {
      ...event,
      reason: 'said "no", then\nleft',
      userAgent: '=cmd|"/c calc"!A1',
      requestId: '@SUM(1)',
    });
    expect(line).toContain('"said ""no"", then\nleft"');
    expect(line).toContain(`"'=cmd|""/c calc""!A1"`);
    expect(line).toContain(`'@SUM(1)`);
  });

  it('writes NDJSON with the same columns in the same order, nulls kept', () => {
    expect(exportHeader('ndjson')).toBe('');
    const line = exportLine('ndjson', event);
    expect(line.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([...AUDIT_EXPORT_COLUMNS]);
    expect(parsed.actorUserId).toBeNull();
  });
});
