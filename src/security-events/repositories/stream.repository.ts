import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CAEP_EVENT_PREFIX } from '../event-types';
import { type Stream, type StreamSettings, type StreamStatus } from '../stream';

const COLUMNS = `id, client_id AS "clientId", kind, delivery_method AS "deliveryMethod",
  endpoint_url AS "endpointUrl", events_requested AS "eventsRequested", description, status,
  status_reason AS "statusReason", created_at AS "createdAt"`;

/** `ssf_streams`: the receivers, one SSF stream and at most one back-channel target per client. */
@Injectable()
export class StreamRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findOwn(clientId: string, streamId?: string): Promise<Stream | null> {
    const rows = await this.dataSource.query<Stream[]>(
      `SELECT ${COLUMNS} FROM ssf_streams WHERE client_id = $1 AND kind = 'ssf'
       ${streamId === undefined ? '' : 'AND id = $2'}`,
      streamId === undefined ? [clientId] : [clientId, streamId],
    );
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<Stream | null> {
    const rows = await this.dataSource.query<Stream[]>(
      `SELECT ${COLUMNS} FROM ssf_streams WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Creates the client's stream and, in the same statement, queues for it the events of the
   * last `backfillSince` it asks for: a receiver that starts now still learns of the endings
   * whose access tokens are unexpired. `null` when the client already has a stream.
   */
  async create(
    clientId: string,
    settings: StreamSettings,
    now: Date,
    backfillSince: Date,
  ): Promise<Stream | null> {
    const rows = await this.dataSource.query<Stream[]>(
      `WITH stream AS (
         INSERT INTO ssf_streams (client_id, kind, delivery_method, endpoint_url, events_requested,
           description, created_at, updated_at)
         VALUES ($1, 'ssf', $2, $3, $4, $5, $6, $6)
         ON CONFLICT (client_id, kind) DO NOTHING
         RETURNING *
       ), backfill AS (
         INSERT INTO security_event_deliveries (stream_id, event_id, created_at, next_attempt_at)
         SELECT stream.id, event.id, event.occurred_at, $6
         FROM stream JOIN security_events event
           ON event.occurred_at > $7 AND event.event_type <> 'verification'
          AND '${CAEP_EVENT_PREFIX}' || event.event_type = ANY (stream.events_requested)
       )
       SELECT ${COLUMNS} FROM stream`,
      [
        clientId,
        settings.deliveryMethod,
        settings.endpointUrl,
        settings.eventsRequested,
        settings.description,
        now,
        backfillSince,
      ],
    );
    return rows[0] ?? null;
  }

  async update(id: string, settings: StreamSettings, now: Date): Promise<Stream> {
    const rows = await this.dataSource.query<Stream[]>(
      `WITH updated AS (
         UPDATE ssf_streams SET delivery_method = $2, endpoint_url = $3, events_requested = $4,
           description = $5, updated_at = $6
         WHERE id = $1 RETURNING *
       ) SELECT ${COLUMNS} FROM updated`,
      [
        id,
        settings.deliveryMethod,
        settings.endpointUrl,
        settings.eventsRequested,
        settings.description,
        now,
      ],
    );
    return rows[0];
  }

  async setStatus(
    id: string,
    status: StreamStatus,
    reason: string | null,
    now: Date,
  ): Promise<Stream> {
    const rows = await this.dataSource.query<Stream[]>(
      `WITH updated AS (
         UPDATE ssf_streams SET status = $2, status_reason = $3, updated_at = $4
         WHERE id = $1 RETURNING *
       ) SELECT ${COLUMNS} FROM updated`,
      [id, status, reason, now],
    );
    return rows[0];
  }

  /** Deletes the stream; its queued deliveries go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<void> {
    await this.dataSource.query('DELETE FROM ssf_streams WHERE id = $1', [id]);
  }

  /**
   * Makes the back-channel logout targets match the configuration: one enabled receiver per
   * client with a `backchannel_logout_uri`, the others disabled. Idempotent, so every
   * instance may run it at start-up.
   */
  async syncBackchannel(targets: { clientId: string; uri: string }[], now: Date): Promise<void> {
    await this.dataSource.query(
      `WITH wanted AS (
         SELECT * FROM unnest($1::text[], $2::text[]) AS t(client_id, uri)
       ), upserted AS (
         INSERT INTO ssf_streams (client_id, kind, delivery_method, endpoint_url, created_at, updated_at)
         SELECT client_id, 'backchannel', 'backchannel-logout', uri, $3, $3 FROM wanted
         ON CONFLICT (client_id, kind) DO UPDATE
           SET endpoint_url = EXCLUDED.endpoint_url, status = 'enabled', status_reason = NULL,
               updated_at = EXCLUDED.updated_at
           WHERE ssf_streams.endpoint_url IS DISTINCT FROM EXCLUDED.endpoint_url
              OR ssf_streams.status <> 'enabled'
       )
       UPDATE ssf_streams SET status = 'disabled', status_reason = 'not configured', updated_at = $3
       WHERE kind = 'backchannel' AND status <> 'disabled' AND client_id <> ALL ($1::text[])`,
      [targets.map((target) => target.clientId), targets.map((target) => target.uri), now],
    );
  }

  /** Streams delivered by push (SSF push and back-channel logout) that have something due. */
  async findPushWithDue(now: Date): Promise<Stream[]> {
    return this.dataSource.query<Stream[]>(
      `SELECT ${COLUMNS} FROM ssf_streams stream
       WHERE stream.status = 'enabled' AND stream.delivery_method <> 'urn:ietf:rfc:8936'
         AND EXISTS (SELECT 1 FROM security_event_deliveries d
                     WHERE d.stream_id = stream.id AND d.delivered_at IS NULL
                       AND d.next_attempt_at <= $1)`,
      [now],
    );
  }
}
