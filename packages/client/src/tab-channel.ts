import { isTokenSet, type TokenSet } from './token-set.js';

/** What tabs (or clients in one process) tell each other. */
export type TabMessage =
  /** A pair from a login or a refresh: the newest pair wins. */
  | { type: 'tokens'; tokens: TokenSet }
  /** A refresh of this session failed here without ending it: whoever waited may try itself. */
  | { type: 'refresh-failed'; sessionId: string }
  /** This session ended here (logout, or the service refused it): forget it everywhere. */
  | { type: 'signed-out'; sessionId: string }
  /** A client that just started and holds nothing asks the others for their pair. */
  | { type: 'sync-request' };

export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

function isTabMessage(value: unknown): value is TabMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'tokens':
      return isTokenSet(message.tokens);
    case 'signed-out':
    case 'refresh-failed':
      return typeof message.sessionId === 'string';
    case 'sync-request':
      return true;
    default:
      return false;
  }
}

/**
 * A BroadcastChannel between the tabs of one origin (and the clients of one Node process).
 * Where the runtime has none, a client stays on its own: it still works, but its tabs then
 * rely on the service's 409 and a shared store to keep from undoing each other's refreshes.
 */
export function openTabChannel(name: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel === 'undefined')
    return { post: () => undefined, close: () => undefined };
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: { data: unknown }) => {
    if (isTabMessage(event.data)) onMessage(event.data);
  };
  // Node: an open channel must not keep a process alive that has nothing else to do.
  (channel as unknown as { unref?: () => void }).unref?.();
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}
