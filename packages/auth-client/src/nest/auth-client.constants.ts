/** Injection token of the options given to `AuthClientModule.forRoot`. */
export const AUTH_CLIENT_OPTIONS = Symbol('AUTH_CLIENT_OPTIONS');
/** Metadata key set by `@Public()`. */
export const IS_PUBLIC = 'auth-client:public';
