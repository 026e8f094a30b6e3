import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'auth:isPublic';

/**
 * Opts a route out of the global JWT guard. Every other route requires a valid access token.
 * The OpenAPI document says the same: an empty security requirement (anyone may call it),
 * which the document builder turns into `security: []`. A public route that checks other
 * credentials (HTTP Basic on `/oauth/*`) adds its own `@ApiSecurity`, which then stands alone.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity({}));
