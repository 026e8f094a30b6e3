/**
 * The console's API layer, on the typed client (`@auth-service/client`): request and response
 * types come from the OpenAPI document, and the client refreshes the access token before it
 * expires, honours Retry-After and signs out whatever the network does. Tokens live in this
 * page's memory only (no cookies, no storage) and on a channel of this page's own, so a reload
 * signs the admin out and no other page or tab can read them.
 */
import { AuthClient, AuthClientError, type components, type paths } from '@auth-service/client';

type Schemas = components['schemas'];
export type AdminUser = Schemas['AdminUserResponse'];
export type Session = Schemas['SessionResponse'];
export type AuditEvent = Schemas['AuditEventResponse'];
export type Stats = Schemas['AdminStatsResponse'];
export type LogoutResult = Schemas['AdminLogoutResponse'];
export type StatusChange = Schemas['StatusChangeResponse'];
export type RevokeAllResult = Schemas['RevokeAllResponse'];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Readiness {
  database: 'up' | 'down' | 'unknown';
  redis: 'up' | 'down' | 'not configured' | 'unknown';
}

export type AuditFilters = Partial<
  Record<'userId' | 'action' | 'outcome' | 'ipAddress' | 'requestId' | 'from' | 'to', string>
>;
type ExportQuery = NonNullable<paths['/admin/audit-events/export']['get']['parameters']['query']>;
/** Filters come from the address bar as text; the service validates them (400 names a bad one). */
const asQuery = (filters: AuditFilters) => filters as Omit<ExportQuery, 'format'>;

/** A refusal in the contract's shape: the code is what the console branches on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Admin {
  id: string;
  email: string;
}

/** Never wait longer than this on one Retry-After; past it the refusal is shown instead. */
const MAX_RETRY_WAIT_S = 30;

let onSignedOut: () => void = () => undefined;
let onWaiting: (seconds: number | null) => void = () => undefined;

export function configure(handlers: {
  signedOut: () => void;
  waiting: (seconds: number | null) => void;
}): void {
  onSignedOut = handlers.signedOut;
  onWaiting = handlers.waiting;
}

const auth = new AuthClient({
  baseUrl: location.origin,
  name: `admin-console-${crypto.randomUUID()}`,
  // 429 and 503 say when to come back: wait that long (shown to the admin) and try once more.
  retry: { maxRetries: 1, maxDelaySeconds: MAX_RETRY_WAIT_S },
  sleep: async (ms) => {
    onWaiting(ms / 1000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    onWaiting(null);
  },
});
// The session ended (logout elsewhere, suspension, the emergency brake): back to sign-in.
auth.onChange((tokens) => {
  if (tokens === null) onSignedOut();
});

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** A typed call's result; a call that could not be made (not signed in, no network) as an ApiError. */
async function settle<T>(call: Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await call;
  } catch (error) {
    throw apiError(error);
  }
}

/** The data of a successful answer, or the refusal as an ApiError. */
function dataOf<T>({ data, error, response }: Result<T>): T {
  if (response.ok) return data as T;
  const body = (error ?? {}) as { code?: unknown; message?: unknown };
  throw new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : 'error',
    typeof body.message === 'string' ? body.message : `${response.status} ${response.statusText}`,
  );
}

const answer = async <T>(call: Promise<Result<T>>): Promise<T> => dataOf(await settle(call));

function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof AuthClientError) {
    return new ApiError(error.status ?? 0, error.code, error.message);
  }
  return new ApiError(0, 'error', error instanceof Error ? error.message : String(error));
}

const userPath = (userId: string) => ({ params: { path: { userId } } });

export const api = {
  /** Signs in; an account without the admin role is signed straight out again and refused. */
  async signIn(email: string, password: string): Promise<Admin> {
    const user = await auth.login(email, password).catch((error: unknown) => {
      throw apiError(error);
    });
    if (!user.roles.includes('admin')) {
      await api.signOut();
      throw new ApiError(403, 'forbidden', 'This account does not have the admin role.');
    }
    return { id: user.id, email: user.email };
  },

  async signOut(): Promise<void> {
    await auth.logout('local');
  },

  async reauthenticate(password: string): Promise<void> {
    await auth.reauthenticate(password).catch((error: unknown) => {
      throw apiError(error);
    });
  },

  users: (query: string, cursor?: string) =>
    answer(auth.api.GET('/admin/users', { params: { query: { query, cursor, limit: 20 } } })),
  user: (userId: string) => answer(auth.api.GET('/admin/users/{userId}', userPath(userId))),
  sessions: (userId: string) =>
    answer(auth.api.GET('/admin/users/{userId}/sessions', userPath(userId))),

  endSession: async (sessionId: string, reason: string) => {
    await answer(
      auth.api.DELETE('/admin/sessions/{sessionId}', {
        params: { path: { sessionId } },
        body: { reason },
      }),
    );
  },
  logoutEverywhere: (userId: string, reason: string) =>
    answer(
      auth.api.POST('/admin/users/{userId}/logout', { ...userPath(userId), body: { reason } }),
    ),
  suspend: (userId: string, reason: string) =>
    answer(
      auth.api.POST('/admin/users/{userId}/suspend', { ...userPath(userId), body: { reason } }),
    ),
  reactivate: (userId: string, reason: string) =>
    answer(
      auth.api.POST('/admin/users/{userId}/reactivate', { ...userPath(userId), body: { reason } }),
    ),
  revokeAll: (reason: string, issuedBefore?: string) =>
    answer(auth.api.POST('/admin/sessions/revoke-all', { body: { reason, issuedBefore } })),

  audit: (filters: AuditFilters, cursor?: string) =>
    answer(
      auth.api.GET('/admin/audit-events', {
        params: { query: { ...asQuery(filters), cursor, limit: 50 } },
      }),
    ),
  /** The export as a file: fetched with the bearer token (never a cookie), then saved. */
  async exportAudit(filters: AuditFilters, format: 'csv' | 'ndjson'): Promise<void> {
    const result = await settle(
      auth.api.GET('/admin/audit-events/export', {
        params: { query: { ...asQuery(filters), format } },
        parseAs: 'blob',
      }),
    );
    const blob = dataOf(result);
    const response = result.response;
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `audit-events.${format}`;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  },

  stats: () => answer(auth.api.GET('/admin/stats')),
  async readiness(): Promise<Readiness> {
    const response = await fetch('/health/ready', { cache: 'no-store', credentials: 'omit' });
    const body = (await response.json().catch(() => ({}))) as {
      details?: Record<string, { status: string; mode?: string }>;
      message?: string;
    };
    if (response.ok) {
      const { database, redis } = body.details ?? {};
      return {
        database: database?.status === 'up' ? 'up' : 'down',
        redis:
          !redis || redis.mode === 'not configured'
            ? 'not configured'
            : redis.status === 'up'
              ? 'up'
              : 'down',
      };
    }
    const message = (body.message ?? '').toLowerCase();
    return {
      database: message.includes('database') ? 'down' : 'up',
      redis: message.includes('redis') ? 'down' : 'unknown',
    };
  },
};
