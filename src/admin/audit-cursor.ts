import { DomainError } from '../common/errors/domain.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** UTC, with the database's full (microsecond) precision: a millisecond cursor would skip rows. */
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,6})?Z$/;

export interface AuditCursor {
  /** The exact `occurred_at` of the last event of a page, as `AuditEventRepository` reads it. */
  occurredAt: string;
  id: string;
}

/** A real instant written in UTC: `Date` would roll 2021-02-30 over to March 2 instead of refusing it. */
function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = TIMESTAMP.exec(value);
  const time = Date.parse(value);
  return match !== null && !Number.isNaN(time) && new Date(time).toISOString().startsWith(match[1]);
}

/** Opaque to clients: the (time, id) of the last event of a page, base64url-encoded. */
export const AuditCursorCodec = {
  encode(cursor: AuditCursor): string {
    return Buffer.from(JSON.stringify([cursor.occurredAt, cursor.id])).toString('base64url');
  },

  decode(value: string): AuditCursor {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && parsed.length === 2) {
        const [occurredAt, id] = parsed as unknown[];
        if (isTimestamp(occurredAt) && typeof id === 'string' && UUID.test(id)) {
          return { occurredAt, id };
        }
      }
    } catch {
      // fall through to the 400 below
    }
    throw new DomainError('validation_failed', 'cursor is not one this service issued');
  },
};
