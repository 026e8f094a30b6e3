import type { components } from './generated/openapi.js';

export type TokenPairResponse = components['schemas']['TokenPairResponse'];
export type SignedInUser = components['schemas']['UserSummary'];

/** What the client keeps of a sign-in. Plain data: it goes through storage and BroadcastChannel. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: SignedInUser;
  /**
   * When the access token stops being accepted, in epoch ms by this client's clock. It comes from
   * `expiresIn` rather than the JWT's `exp`, so a device whose clock is off still refreshes in time.
   */
  expiresAt: number;
  /** When this pair arrived (epoch ms): across tabs, the newest pair wins. */
  receivedAt: number;
}

export function tokenSetFrom(pair: TokenPairResponse, now: number): TokenSet {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    sessionId: pair.sessionId,
    user: pair.user,
    expiresAt: now + pair.expiresIn * 1000,
    receivedAt: now,
  };
}

/** Whether a value read back from storage or a channel is a token set (it may be anything). */
export function isTokenSet(value: unknown): value is TokenSet {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.accessToken === 'string' &&
    typeof candidate.refreshToken === 'string' &&
    typeof candidate.sessionId === 'string' &&
    typeof candidate.expiresAt === 'number' &&
    typeof candidate.receivedAt === 'number' &&
    typeof candidate.user === 'object' &&
    candidate.user !== null
  );
}
