/**
 * The console's typed fetch layer. Tokens live in this module's memory only (no cookies, no
 * storage): a reload signs the admin out, and no other page or tab can read them.
 */

export interface AdminUser {
  id: string;
  email: string;
  roles: string[];
  status: 'active' | 'suspended';
  createdAt: string;
  liveSessions: number;
}

export interface Session {
  id: string;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  outcome: 'success' | 'failure';
  actorUserId: string | null;
  subjectUserId: string | null;
  sessionId: string | null;
  scope: string | null;
  reason: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Stats {
  since: string;
  logouts: { success: number; failure: number };
  rateLimited: number;
  reuseDetections: number;
}

export interface Readiness {
  database: 'up' | 'down' | 'unknown';
  redis: 'up' | 'down' | 'not configured' | 'unknown';
}

export interface LogoutResult {
  message: string;
  timestamp: string;
  revokedSessions: number;
}

export interface StatusChange {
  userId: string;
  status: 'active' | 'suspended';
  changed: boolean;
  revokedSessions: number;
  timestamp: string;
}

export interface RevokeAllResult {
  revokedSessions: number;
  timestamp: string;
}

export type AuditFilters = Partial<
  Record<'userId' | 'action' | 'outcome' | 'ipAddress' | 'requestId' | 'from' | 'to', string>
>;

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

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; roles: string[] };
}

/** Never wait longer than this on one Retry-After; past it the refusal is shown instead. */
const MAX_RETRY_WAIT_S = 30;

type Query = Record<string, string | number | undefined>;

let accessToken: string | null = null;
let refreshToken: string | null = null;
let onSignedOut: () => void = () => undefined;
let onWaiting: (seconds: number | null) => void = () => undefined;

export function configure(handlers: {
  signedOut: () => void;
  waiting: (seconds: number | null) => void;
}): void {
  onSignedOut = handlers.signedOut;
  onWaiting = handlers.waiting;
}

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { message?: string; code?: string };
    return new ApiError(response.status, body.code ?? 'error', body.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, 'error', `${response.status} ${response.statusText}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 429 and 503 say when to come back: wait that long (shown to the admin) and try once more. */
async function send(path: string, init: RequestInit, retried = false): Promise<Response> {
  const headers = new Headers(init.headers);
  if (accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  const response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  if ((response.status === 429 || response.status === 503) && !retried) {
    const seconds = Number(response.headers.get('Retry-After'));
    if (Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_RETRY_WAIT_S) {
      onWaiting(seconds);
      await sleep(seconds * 1000);
      onWaiting(null);
      return send(path, init, true);
    }
  }
  return response;
}

/** An expired access token is renewed once with the refresh token, then the call is repeated. */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let response = await send(path, init);
  if (response.status === 401 && refreshToken && !path.startsWith('/auth/')) {
    if (await renew()) response = await send(path, init);
  }
  if (response.status === 401 && !path.startsWith('/auth/login')) {
    clear();
    onSignedOut();
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await (await call(path, init)).json()) as T;
}

function body(method: string, payload: object): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  };
}

async function renew(): Promise<boolean> {
  const response = await send('/auth/refresh', body('POST', { refreshToken }));
  if (!response.ok) return false;
  const pair = (await response.json()) as TokenPair;
  accessToken = pair.accessToken;
  refreshToken = pair.refreshToken;
  return true;
}

function clear(): void {
  accessToken = null;
  refreshToken = null;
}

export interface Admin {
  id: string;
  email: string;
}

export const api = {
  /** Signs in; an account without the admin role is signed straight out again and refused. */
  async signIn(email: string, password: string): Promise<Admin> {
    const pair = await json<TokenPair>('/auth/login', body('POST', { email, password }));
    accessToken = pair.accessToken;
    refreshToken = pair.refreshToken;
    if (!pair.user.roles.includes('admin')) {
      await api.signOut();
      throw new ApiError(403, 'forbidden', 'This account does not have the admin role.');
    }
    return { id: pair.user.id, email: pair.user.email };
  },

  async signOut(): Promise<void> {
    try {
      if (accessToken) await send('/auth/logout', body('POST', { scope: 'local' }));
    } finally {
      clear();
    }
  },

  async reauthenticate(password: string): Promise<void> {
    const result = await json<{ accessToken: string }>(
      '/auth/reauthenticate',
      body('POST', { password }),
    );
    accessToken = result.accessToken;
  },

  users: (query: string, cursor?: string) =>
    json<Page<AdminUser>>(url('/admin/users', { query, cursor, limit: 20 })),
  user: (id: string) => json<AdminUser>(`/admin/users/${encodeURIComponent(id)}`),
  sessions: (id: string) => json<Session[]>(`/admin/users/${encodeURIComponent(id)}/sessions`),

  endSession: async (sessionId: string, reason: string) => {
    await call(`/admin/sessions/${encodeURIComponent(sessionId)}`, body('DELETE', { reason }));
  },
  logoutEverywhere: (id: string, reason: string) =>
    json<LogoutResult>(`/admin/users/${encodeURIComponent(id)}/logout`, body('POST', { reason })),
  suspend: (id: string, reason: string) =>
    json<StatusChange>(`/admin/users/${encodeURIComponent(id)}/suspend`, body('POST', { reason })),
  reactivate: (id: string, reason: string) =>
    json<StatusChange>(
      `/admin/users/${encodeURIComponent(id)}/reactivate`,
      body('POST', { reason }),
    ),
  revokeAll: (reason: string, issuedBefore?: string) =>
    json<RevokeAllResult>('/admin/sessions/revoke-all', body('POST', { reason, issuedBefore })),

  audit: (filters: AuditFilters, cursor?: string) =>
    json<Page<AuditEvent>>(url('/admin/audit-events', { ...filters, cursor, limit: 50 })),
  /** The export as a file: fetched with the bearer token (never a cookie), then saved. */
  async exportAudit(filters: AuditFilters, format: 'csv' | 'ndjson'): Promise<void> {
    const response = await call(url('/admin/audit-events/export', { ...filters, format }));
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `audit-events.${format}`;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  },

  stats: () => json<Stats>('/admin/stats'),
  async readiness(): Promise<Readiness> {
    const response = await fetch('/health/ready', { cache: 'no-store', credentials: 'omit' });
    if (response.ok) {
      const result = (await response.json()) as {
        details?: Record<string, { status: string; mode?: string }>;
      };
      const { database, redis } = result.details ?? {};
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
    const message = (await errorOf(response)).message.toLowerCase();
    return {
      database: message.includes('database') ? 'down' : 'up',
      redis: message.includes('redis') ? 'down' : 'unknown',
    };
  },
};
