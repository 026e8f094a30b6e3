import { SetMetadata } from '@nestjs/common';

export const ALLOW_ENDED_SESSION = 'auth:allowEndedSession';

/** Accepts access tokens of ended sessions (still well-signed and unexpired): logout stays idempotent. */
export const AllowEndedSession = () => SetMetadata(ALLOW_ENDED_SESSION, true);
