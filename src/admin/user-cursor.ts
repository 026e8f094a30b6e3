import { DomainError } from '../common/errors/domain.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface UserCursor {
  /** The lower-cased email of the last user of a page. */
  email: string;
  id: string;
}

/** Opaque to clients: the (lower(email), id) of the last user of a page, base64url-encoded. */
export const UserCursorCodec = {
  encode(cursor: UserCursor): string {
    return Buffer.from(JSON.stringify([cursor.email, cursor.id])).toString('base64url');
  },

  decode(value: string): UserCursor {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && parsed.length === 2) {
        const [email, id] = parsed as unknown[];
        if (
          typeof email === 'string' &&
          email.length <= 320 &&
          typeof id === 'string' &&
          UUID.test(id)
        ) {
          return { email, id };
        }
      }
    } catch {
      // fall through to the 400 below
    }
    throw new DomainError('validation_failed', 'cursor is not one this service issued');
  },
};
