import { SetMetadata } from '@nestjs/common';

export const REQUIRED_ROLES = 'auth:requiredRoles';

/** Restricts a route (or controller) to bearers whose token lists one of these roles. */
export const Roles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);
