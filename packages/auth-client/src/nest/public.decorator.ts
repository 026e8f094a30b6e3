import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC } from './auth-client.constants';

/** Opts a route (or a whole controller) out of the global access-token guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
