import { DomainError } from '../common/errors/domain.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

/** Opaque to clients: the (time, id) of the last event of a page, base64url-encoded. */
export const AuditCursorCodec = {
  encode(cursor: AuditCursor): string {
    return Buffer.from(JSON.stringify([cursor.occurredAt.toISOString(), cursor.id])).toString(
      'base64url',
    );
  },

  decode(value: string): AuditCursor {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && parsed.length === 2) {
        const [time, id] = parsed as unknown[];
        const occurredAt = new Date(String(time));
        if (typeof id === 'string' && UUID.test(id) && !Number.isNaN(occurredAt.getTime())) {
          return { occurredAt, id };
        }
      }
    } catch {
      // fall through to the 400 below
    }
    throw new DomainError('validation_failed', 'cursor is not one this service issued');
  },
};
