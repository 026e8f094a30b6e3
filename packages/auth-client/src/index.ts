/** `@auth-service/auth-client`: the Nest module and, re-exported, the framework-neutral core. */
export * from './core';
export * from './nest';
