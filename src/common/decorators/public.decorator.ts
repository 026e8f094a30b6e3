import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';

/** Opts a route out of the global JWT guard. Every other route requires a valid access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
