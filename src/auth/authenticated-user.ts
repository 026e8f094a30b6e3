/** What a verified access token says about its bearer; set on `request.user` by the JWT guard. */
export interface AuthenticatedUser {
  userId: string;
  /** Absent only on tokens this service never issues; logout refuses them with 400. */
  sessionId?: string;
  roles: string[];
  authTime: number;
  tokenId: string;
  expiresAt: number;
}

export type SessionBearer = AuthenticatedUser & { sessionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `JwtAuthGuard` once the access token is accepted: the request's only principal. */
    user?: AuthenticatedUser;
  }
}
