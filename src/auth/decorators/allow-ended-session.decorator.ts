import { SetMetadata } from '@nestjs/common';

export const ALLOW_ENDED_SESSION = 'auth:allowEndedSession';

/**
 * Accepts access tokens of ended sessions (still well-signed and unexpired): logout stays
 * idempotent. The guard then does not look the session up at all (no round trip): the
 * handler MUST check it itself, refusing a session that is not the user's (logout's ending
 * statement does, in the same round trip that ends it).
 */
export const AllowEndedSession = () => SetMetadata(ALLOW_ENDED_SESSION, true);
