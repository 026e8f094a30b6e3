/**
 * The soak's virtual users. Each user has a few session slots (devices); a slot's requests
 * are strictly sequential (each depends on the previous answer), slots of one user run
 * concurrently, so a `global` or `others` logout races its siblings' refreshes like it
 * would in production. A slot's loop: login, then repeatedly GET /auth/me, sometimes
 * GET /auth/sessions, POST /auth/refresh (rotation), and now and then POST /auth/logout
 * with a random scope, after which the ended slots log in again.
 *
 * Logins per account are limited by the service (10 per 15 minutes), so each user keeps a
 * login budget and only logs out when it can afford the logins that will follow.
 */
import { type HttpResult, parseJson, type SoakHttp } from './soak-http';
import { pick, sample } from './stats';

export const PASSWORD = 'soak-password-1';
/** The service allows 10 logins per account per 15 minutes; keep one in reserve. */
const LOGIN_BUDGET = 9;
const LOGIN_WINDOW_MS = 15 * 60_000 + 5_000;
const SCOPES = ['local', 'others', 'global'] as const;
export type Scope = (typeof SCOPES)[number];

export interface SoakUser {
  index: number;
  id: string;
  email: string;
  /** The X-Forwarded-For this user's requests carry: the per-IP login bucket is per user. */
  ip: string;
  /** When each login attempt was sent (wall clock), for the budget. */
  logins: number[];
  slots: Slot[];
}

export interface Slot {
  user: SoakUser;
  index: number;
  session?: HeldSession;
}

/** What the client holds for a session: always the latest tokens it was given. */
export interface HeldSession {
  id: string;
  userIndex: number;
  accessToken: string;
  refreshToken: string;
  /** Soak time the login answer arrived. */
  loggedInAt: number;
  /**
   * Soak time a logout answered 200 whose scope covers this session: a 401 is then expected.
   * (It ended the session only if the presenting session was still live: a logout with the
   * token of an already-ended session is idempotent and ends nothing.)
   */
  confirmedEndedAt?: number;
  /** The request id of that logout. */
  endedBy?: string;
  /** Soak time of the last 5xx or network failure on a request of this session (outcome unknown). */
  lastFailureAt?: number;
  /** Soak time the access token was last refreshed. */
  refreshedAt?: number;
}

export interface Anomaly {
  kind: string;
  route: string;
  requestId: string;
  sessionId?: string;
  status: number;
  start: number;
  end: number;
  body?: string;
  lastFailureAt?: number;
}

export interface TrafficOptions {
  http: SoakHttp;
  users: SoakUser[];
  concurrency: number;
  logoutProbability: number;
  sessionsProbability: number;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export class Traffic {
  /** Every session the client ever held, by id, with its latest tokens. */
  readonly sessions = new Map<string, HeldSession>();
  /** A post-logout probe that got neither 401 nor 2xx (a 5xx or no answer): no verdict. */
  readonly inconclusiveProbes: Anomaly[] = [];
  /** Answers a well-behaved client should not get outside a fault; explained (or not) at the end. */
  readonly anomalies: Anomaly[] = [];
  readonly logoutsByScope: Record<Scope, number> = { local: 0, others: 0, global: 0 };
  steps = 0;
  skippedLogoutsForBudget = 0;

  constructor(private readonly options: TrafficOptions) {}

  /** Every slot logs in once (argon2 makes logins the expensive part: they get a phase of their own). */
  async rampUp(): Promise<void> {
    const slots = sample(
      this.options.users.flatMap((user) => user.slots),
      Number.MAX_SAFE_INTEGER,
    );
    let next = 0;
    const worker = async () => {
      while (next < slots.length) await this.login(slots[next++]);
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
  }

  /** Rounds until soak time `stopAt` (ms): no round starts after it. */
  async run(stopAt: number): Promise<void> {
    const queue: Slot[] = sample(
      this.options.users.flatMap((user) => user.slots),
      Number.MAX_SAFE_INTEGER,
    );
    const worker = async () => {
      let idle = 0;
      while (this.options.http.now() < stopAt) {
        const slot = queue.shift();
        if (!slot) {
          await sleep(10);
          continue;
        }
        let acted: boolean;
        try {
          acted = await this.step(slot);
        } finally {
          queue.push(slot);
        }
        if (acted) {
          this.steps++;
          idle = 0;
        } else if (++idle > queue.length) {
          idle = 0;
          await sleep(50);
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
  }

  private get http(): SoakHttp {
    return this.options.http;
  }

  private loginBudget(user: SoakUser): number {
    const since = Date.now() - LOGIN_WINDOW_MS;
    user.logins = user.logins.filter((at) => at > since);
    return LOGIN_BUDGET - user.logins.length;
  }

  /** One turn of a slot: a login, or a round of authenticated calls. False when it could do nothing. */
  private async step(slot: Slot): Promise<boolean> {
    if (!slot.session) {
      if (this.loginBudget(slot.user) < 1) return false;
      await this.login(slot);
      return true;
    }
    const session = slot.session;
    const me = await this.withSession(slot, session, 'me', {
      method: 'GET',
      path: '/auth/me',
      token: session.accessToken,
    });
    if (me.status === 401 || slot.session !== session) return true;

    if (Math.random() < this.options.sessionsProbability) {
      const list = await this.withSession(slot, session, 'sessions', {
        method: 'GET',
        path: '/auth/sessions',
        token: session.accessToken,
      });
      if (list.status === 401 || slot.session !== session) return true;
      if (list.status === 200) {
        const items = parseJson<{ id: string; current?: boolean }[]>(list.body);
        if (!items?.some((item) => item.id === session.id && item.current === true)) {
          this.anomaly('sessions-without-current', 'sessions', list, session);
        }
      }
    }

    const refreshed = await this.withSession(slot, session, 'refresh', {
      method: 'POST',
      path: '/auth/refresh',
      body: { refreshToken: session.refreshToken },
    });
    if (refreshed.status === 200) {
      const pair = parseJson<TokenPair>(refreshed.body);
      if (pair?.sessionId !== session.id) {
        this.anomaly('refresh-other-session', 'refresh', refreshed, session);
      } else {
        session.accessToken = pair.accessToken;
        session.refreshToken = pair.refreshToken;
        session.refreshedAt = refreshed.end;
      }
    } else if (refreshed.status === 409) {
      // Only a refresh whose answer was lost can leave us holding a just-rotated parent.
      this.anomaly('refresh-409', 'refresh', refreshed, session);
      slot.session = undefined;
      return true;
    }
    if (slot.session !== session) return true;

    if (Math.random() < this.options.logoutProbability) await this.logout(slot, session);
    return true;
  }

  private async login(slot: Slot): Promise<void> {
    const user = slot.user;
    user.logins.push(Date.now());
    const result = await this.http.send({
      method: 'POST',
      path: '/auth/login',
      route: 'login',
      body: { email: user.email, password: PASSWORD },
      forwardedFor: user.ip,
    });
    if (result.status === 200) {
      const pair = parseJson<TokenPair>(result.body);
      if (!pair) {
        this.anomaly('login-unparseable', 'login', result);
        return;
      }
      const session: HeldSession = {
        id: pair.sessionId,
        userIndex: user.index,
        accessToken: pair.accessToken,
        refreshToken: pair.refreshToken,
        loggedInAt: result.end,
      };
      this.sessions.set(session.id, session);
      slot.session = session;
      if (result.record) result.record.sessionId = session.id;
    } else if (result.status !== 429 && result.status < 500 && result.status !== 0) {
      this.anomaly(`login-${result.status}`, 'login', result);
    }
  }

  /**
   * A request bearing one of `session`'s tokens. A 401 ends the slot's session (a sibling
   * logged it out, or something is wrong: judged at the end against the database). Whether
   * a 2xx came after the session's logout is judged at the end too, from the database.
   */
  private async withSession(
    slot: Slot,
    session: HeldSession,
    route: string,
    request: { method: 'GET' | 'POST'; path: string; token?: string; body?: unknown },
  ): Promise<HttpResult> {
    const result = await this.http.send({
      ...request,
      route,
      forwardedFor: slot.user.ip,
      sessionId: session.id,
    });
    this.judge(session, result);
    if (result.status === 401) {
      if (session.confirmedEndedAt === undefined) {
        this.anomaly('unexpected-401', route, result, session);
      }
      if (slot.session === session) slot.session = undefined;
    }
    return result;
  }

  /** A 5xx or no answer leaves the outcome unknown (a rotation may have committed). */
  private judge(session: HeldSession, result: HttpResult): void {
    if (result.status >= 500 || result.status === 0) session.lastFailureAt = result.end;
  }

  private async logout(slot: Slot, session: HeldSession): Promise<void> {
    const user = slot.user;
    const siblings = user.slots
      .filter((other) => other !== slot && other.session?.confirmedEndedAt === undefined)
      .map((other) => other.session)
      .filter((held): held is HeldSession => held !== undefined);
    const budget = this.loginBudget(user);
    let scope: Scope = pick(SCOPES);
    const cost = { local: 1, others: siblings.length, global: siblings.length + 1 };
    if (cost[scope] > budget) scope = 'local';
    if (cost[scope] > budget) {
      this.skippedLogoutsForBudget++;
      return;
    }
    const sent = this.http.now();
    const result = await this.withSession(slot, session, 'logout', {
      method: 'POST',
      path: '/auth/logout',
      token: session.accessToken,
      body: { scope },
    });
    if (result.status !== 200) {
      if (result.status !== 429 && result.status !== 401 && result.status < 500) {
        this.anomaly(`logout-${result.status}`, 'logout', result, session);
      }
      return;
    }
    this.logoutsByScope[scope]++;
    // Only sessions whose login answered before the logout was sent are certainly covered.
    const covered = [
      ...(scope === 'others' ? [] : [session]),
      ...(scope === 'local' ? [] : siblings.filter((held) => held.loggedInAt < sent)),
    ];
    for (const held of covered) {
      held.confirmedEndedAt ??= result.end;
      held.endedBy ??= result.requestId;
    }
    if (scope !== 'others' && slot.session === session) slot.session = undefined;

    // Revocation must reach the other instance at once: probe it with an ended session's tokens.
    const other = (result.instance + 1) % this.http.instances.length;
    const probe = scope === 'others' ? covered[0] : session;
    if (probe && Math.random() < 0.5) {
      const me = await this.http.send({
        method: 'GET',
        path: '/auth/me',
        route: 'me-after-logout',
        token: probe.accessToken,
        sessionId: probe.id,
        forwardedFor: user.ip,
        instance: other,
      });
      this.probed('me-after-logout', probe, me);
    }
    if (scope !== 'others' && Math.random() < 0.25) {
      const refresh = await this.http.send({
        method: 'POST',
        path: '/auth/refresh',
        route: 'refresh-after-logout',
        body: { refreshToken: session.refreshToken },
        sessionId: session.id,
        forwardedFor: user.ip,
        instance: other,
      });
      this.probed('refresh-after-logout', session, refresh);
    }
  }

  private probed(route: string, session: HeldSession, result: HttpResult): void {
    this.judge(session, result);
    if (result.status === 401 || (result.status >= 200 && result.status < 300)) return;
    const record: Anomaly = {
      kind: `${route}-${result.status}`,
      route,
      requestId: result.requestId,
      sessionId: session.id,
      status: result.status,
      start: result.start,
      end: result.end,
      body: result.body.slice(0, 300),
    };
    if (result.status >= 500 || result.status === 0) this.inconclusiveProbes.push(record);
    else this.anomalies.push(record);
  }

  private anomaly(kind: string, route: string, result: HttpResult, session?: HeldSession): void {
    this.anomalies.push({
      kind,
      route,
      requestId: result.requestId,
      sessionId: session?.id,
      status: result.status,
      start: result.start,
      end: result.end,
      body: result.body.slice(0, 300),
      lastFailureAt: session?.lastFailureAt,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
