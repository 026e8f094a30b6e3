import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { type LogoutScope } from '../logout-scope';
import { SessionService } from './session.service';

export interface LogoutResponse {
  message: string;
  timestamp: string;
}

const MESSAGES: Record<LogoutScope, string> = {
  global: 'Logged out of all sessions',
  local: 'Logged out of this session',
  others: 'Logged out of all other sessions',
};

@Injectable()
export class LogoutService {
  constructor(private readonly sessions: SessionService) {}

  async logout(
    user: AuthenticatedUser,
    scope: LogoutScope,
    client: ClientContext,
  ): Promise<LogoutResponse> {
    // Without a session id the scope cannot be honoured; it is never silently widened.
    if (!user.sessionId)
      throw new DomainError('session_required', 'Access token carries no session (sid)');
    const result = await this.sessions.logout({
      userId: user.userId,
      sessionId: user.sessionId,
      scope,
      client,
    });
    return { message: MESSAGES[scope], timestamp: result.timestamp.toISOString() };
  }
}
