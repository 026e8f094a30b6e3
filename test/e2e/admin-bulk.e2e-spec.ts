import { get as httpGet, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import request from 'supertest';
import { type App } from 'supertest/types';
import { REVOKE_ALL_BATCH_SIZE } from '../../src/auth/services/session.service';
import { type LoggedIn, loginWith, userWithSessions } from '../factories/session.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const ADMIN_EMAIL = 'bulk-admin@example.test';
const ADMIN_PASSWORD = 'bulk admin password';
const SEEDED_SESSIONS = 10_000;
const EXPORTED_EVENTS = 60_000;

/** A full collection on demand, so heap figures count live objects, not garbage. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('admin bulk operations at scale', () => {
  let t: TestApp;
  let server: App;
  let admin: LoggedIn;
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await createTestApp({
      env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    server = t.app.getHttpServer();
    admin = await loginWith(server, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(() => t.close());

  it('revoke-all ends 10,000 sessions in batches of constant statements while the service keeps answering reads', async () => {
    // 100 users with 100 sessions each, started an hour ago, each with its refresh token
    // (in slices of 25 users, so no statement nears the driver's query timeout).
    for (let first = 1; first <= 100; first += 25) {
      await t.dataSource.query(
        `WITH users_in AS (
           INSERT INTO users (email, password_hash, created_at, updated_at)
           SELECT 'bulk-' || n || '@example.test', 'not-a-hash', now(), now()
           FROM generate_series($1::int, $1::int + 24) n
           RETURNING id
         ), sessions_in AS (
           INSERT INTO sessions (user_id, created_at, last_active_at, expires_at, auth_time)
           SELECT id, now() - interval '1 hour', now() - interval '1 hour', now() + interval '1 day', now() - interval '1 hour'
           FROM users_in, generate_series(1, $2::int / 100)
           RETURNING id
         )
         INSERT INTO refresh_tokens (session_id, token_hash, created_at)
         SELECT id, sha256(id::text::bytea), now() FROM sessions_in`,
        [first, SEEDED_SESSIONS],
      );
    }
    // A real user whose session started before the instant too, and one who signs in after it.
    const [victim] = await userWithSessions(server, 1);
    await t.dataSource.query(
      `UPDATE sessions SET created_at = created_at - interval '1 hour' WHERE id = $1`,
      [victim.sessionId],
    );
    const [reader] = await userWithSessions(server, 1);
    const targeted = SEEDED_SESSIONS + 1;

    // What one read costs in SQL, to tell its statements apart from the operation's.
    const statements: string[] = [];
    const logger = t.dataSource.logger;
    const logQuery = logger.logQuery.bind(logger);
    logger.logQuery = (query, parameters, runner) => {
      statements.push(query);
      onStatement(query);
      logQuery(query, parameters, runner);
    };
    let onStatement: (query: string) => void = () => undefined;
    const read = () => request(server).get('/auth/me').set(as(reader.accessToken));
    await read().expect(200);
    const readStatements = new Set(statements);
    statements.length = 0;

    // Once the first batch is under way, a user reads; its answer must not wait for the rest.
    let revokeAllDone = false;
    let readDuringRevokeAll: Promise<{ status: number; beforeRevokeAllEnded: boolean }> | undefined;
    onStatement = (query) => {
      if (!readDuringRevokeAll && query.includes('UPDATE sessions SET ended_at')) {
        readDuringRevokeAll = read().then((response) => ({
          status: response.status,
          beforeRevokeAllEnded: !revokeAllDone,
        }));
      }
    };
    const issuedBefore = new Date(Date.now() - 30 * 60_000).toISOString();
    const response = await request(server)
      .post('/admin/sessions/revoke-all')
      .set(as(admin.accessToken))
      .send({ reason: 'signing key leak', issuedBefore })
      .then((result) => {
        revokeAllDone = true;
        return result;
      });
    onStatement = () => undefined;
    const duringStatements = [...statements];
    logger.logQuery = logQuery;

    expect(response.status).toBe(200);
    expect(response.body.revokedSessions).toBe(targeted);
    expect(await readDuringRevokeAll).toEqual({ status: 200, beforeRevokeAllEnded: true });
    console.log(`revoke-all: ${targeted} sessions, ${duringStatements.length} statements logged`);

    const batches = duringStatements.filter((sql) => sql.includes('UPDATE sessions SET ended_at'));
    expect(batches).toHaveLength(Math.ceil((targeted + 1) / REVOKE_ALL_BATCH_SIZE));
    // Besides the batches: the operation's own audit event, nothing per session or per user.
    // (The read's statements, the revocation store's periodic sync and the security-event
    // workers' ticks run beside it; only statements on the tables it works on count.)
    const others = duringStatements.filter(
      (sql) =>
        !sql.includes('UPDATE sessions SET ended_at') &&
        !readStatements.has(sql) &&
        !/WHERE ended_at > /.test(sql) &&
        /\b(users|sessions|refresh_tokens|audit_events)\b/.test(sql),
    );
    expect(others.length).toBeLessThanOrEqual(2);

    const live: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM sessions WHERE ended_at IS NULL AND created_at < $1`,
      [issuedBefore],
    );
    expect(live[0].n).toBe(0);
    const trail: { action: string; n: number }[] = await t.dataSource.query(
      `SELECT action, count(*)::int AS n FROM audit_events
       WHERE reason = 'signing key leak' GROUP BY action ORDER BY action`,
    );
    expect(trail).toEqual([
      { action: 'admin_revoke_all', n: 1 },
      { action: 'session_revoked', n: targeted },
    ]);
    expect((await request(server).get('/auth/me').set(as(victim.accessToken))).status).toBe(401);
    expect(
      (await request(server).post('/auth/refresh').send({ refreshToken: victim.refreshToken }))
        .status,
    ).toBe(401);
    await read().expect(200);
    await request(server).get('/auth/me').set(as(admin.accessToken)).expect(200);
  }, 300_000);

  it('exports a large trail as a stream in constant memory', async () => {
    const userAgent = `Mozilla/5.0 ${'x'.repeat(1000)}`;
    // In slices, so no single statement nears the driver's query timeout on a loaded machine.
    for (let from = 1; from <= EXPORTED_EVENTS; from += 5_000) {
      await t.dataSource.query(
        `INSERT INTO audit_events (occurred_at, action, outcome, ip_address, user_agent, request_id, reason)
         SELECT now() - n * interval '1 millisecond', 'export_probe', 'success', '198.51.100.7', $3,
                'req-' || n, 'seeded for the export test'
         FROM generate_series($1::int, $2::int) n`,
        [from, Math.min(from + 4_999, EXPORTED_EVENTS), userAgent],
      );
    }
    const listening = (server as Server).listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    const { port } = listening.address() as AddressInfo;
    const gc = collector();
    try {
      gc();
      const baseline = process.memoryUsage().heapUsed;
      let peak = 0;
      let bytes = 0;
      let lines = 0;
      let sinceSample = 0;
      const status = await new Promise<number>((resolve, reject) => {
        const call = httpGet(
          {
            host: '127.0.0.1',
            port,
            path: '/admin/audit-events/export?format=csv&action=export_probe',
            headers: as(admin.accessToken),
            agent: false,
          },
          (response) => {
            response.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              sinceSample += chunk.length;
              for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1))
                lines++;
              // Measure the live heap every few megabytes of output.
              if (sinceSample > 4 * 1024 * 1024) {
                sinceSample = 0;
                gc();
                peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
              }
            });
            response.on('end', () => resolve(response.statusCode ?? 0));
            response.on('error', reject);
          },
        );
        call.on('error', reject);
      });
      expect(status).toBe(200);
      expect(lines).toBe(EXPORTED_EVENTS + 1);
      console.log(
        `export: ${EXPORTED_EVENTS} events, ${(bytes / 1048576).toFixed(1)} MiB streamed, live heap growth at most ${(peak / 1048576).toFixed(1)} MiB`,
      );
      // The whole body is several times this bound; holding it (or even a tenth) would exceed it.
      expect(bytes).toBeGreaterThan(4 * 16 * 1024 * 1024);
      expect(peak).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
    // Seeding and streaming this much data is the point; the assertions are on memory, not time.
  }, 300_000);

  it('exports NDJSON and CSV with every column, spreadsheet formulas defused, and refuses bad input', async () => {
    const requestId = 'export-format-check';
    await t.dataSource.query(
      `INSERT INTO audit_events (occurred_at, action, outcome, user_agent, request_id, reason)
       VALUES (now(), 'format_probe', 'failure', '=HYPERLINK("http://evil")', $1, 'a, "quoted" reason')`,
      [requestId],
    );
    const ndjson = await request(server)
      .get('/admin/audit-events/export')
      .query({ format: 'ndjson', requestId })
      .set(as(admin.accessToken))
      .expect(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers['content-disposition']).toMatch(
      /^attachment; filename="audit-events-.*\.ndjson"$/,
    );
    const rows = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'format_probe',
        outcome: 'failure',
        requestId,
        userAgent: '=HYPERLINK("http://evil")',
      }),
    ]);
    const csv = await request(server)
      .get('/admin/audit-events/export')
      .query({ requestId })
      .set(as(admin.accessToken))
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, line] = csv.text.split('\r\n');
    expect(header).toBe(
      'id,occurredAt,action,outcome,actorUserId,subjectUserId,sessionId,scope,reason,ipAddress,userAgent,requestId',
    );
    expect(line).toContain(`"a, ""quoted"" reason",,"'=HYPERLINK(""http://evil"")",${requestId}`);

    for (const query of [
      { format: 'xml' },
      { from: '2026-02-01', to: '2026-01-01' },
      { limit: 5 },
      { outcome: 'x' },
    ]) {
      const refused = await request(server)
        .get('/admin/audit-events/export')
        .query(query)
        .set(as(admin.accessToken));
      expectContractError(refused, 400, 'validation_failed');
    }
  });
});
