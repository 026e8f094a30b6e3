import { type ChannelMessage } from '../../redis/channel-message';

/**
 * Where ended sessions are remembered for as long as their access tokens could still be
 * presented. `isEnded` answers `undefined` when the store cannot vouch for its answer
 * (not warmed, unreachable): the caller then asks PostgreSQL, never assumes "valid".
 */
export interface RevocationStore {
  /**
   * Remembers the endings; `messages` go to the other instances in the same round trip,
   * after the writes (a store without other instances has no one to tell).
   */
  markEnded(
    sessionIds: readonly string[],
    ttlMs: number,
    messages?: readonly ChannelMessage[],
  ): Promise<void>;
  isEnded(sessionId: string): Promise<boolean | undefined>;
  /** Records that every session ended in the last TTL has been loaded. */
  markWarm(): Promise<void>;
}
