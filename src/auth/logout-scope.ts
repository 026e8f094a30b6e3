/** Which sessions a logout ends: every one (`global`), the presented one (`local`), or all but it (`others`). */
export const LOGOUT_SCOPES = ['global', 'local', 'others'] as const;
export type LogoutScope = (typeof LOGOUT_SCOPES)[number];
