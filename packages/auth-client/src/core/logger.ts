/** The few log calls the client makes; Nest's `Logger`, pino and `console` all fit. */
export interface AuthClientLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const SILENT_LOGGER: AuthClientLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
