import { isUUID } from 'class-validator';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { EVENTS_SUPPORTED } from '../event-types';
import { DeliveryRepository } from '../repositories/delivery.repository';
import { StreamRepository } from '../repositories/stream.repository';
import {
  POLL_METHOD,
  PUSH_METHOD,
  type Stream,
  type StreamSettings,
  type StreamStatus,
} from '../stream';
import { PushEndpointPolicy } from './push-endpoint.policy';
import { SecurityEventBus } from '../security-event.bus';

/** The stream configuration SSF 1.0 §8.1.1 returns. */
export interface StreamConfiguration {
  stream_id: string;
  iss: string;
  aud: string;
  delivery: { method: string; endpoint_url: string };
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  description?: string;
}

/** What a receiver sends to create, update or replace its stream. */
export interface StreamRequest {
  delivery?: { method: string; endpoint_url?: string };
  events_requested?: string[];
  description?: string;
}

const notFound = () => new DomainError('not_found', 'No such stream for this client');

/**
 * SSF 1.0 §8.1 stream management. A receiver (service client) has at most one stream and
 * only ever sees or changes its own: another client's stream id is "not found", whether or
 * not it exists.
 */
@Injectable()
export class StreamService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly streams: StreamRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly pushEndpoints: PushEndpointPolicy,
    private readonly bus: SecurityEventBus,
  ) {}

  async create(clientId: string, request: StreamRequest, baseUrl: string) {
    const settings = await this.settingsFrom(request);
    const now = this.clock.now();
    // Back-filled with the endings whose access tokens may still be in use.
    const since = new Date(now.getTime() - this.config.accessTokenTtlMs);
    const stream = await this.streams.create(clientId, settings, now, since);
    if (!stream) {
      throw new DomainError(
        'stream_exists',
        'This client already has a stream; read, update or delete it',
      );
    }
    this.bus.announce();
    return this.configuration(stream, baseUrl);
  }

  async read(clientId: string, streamId: string | undefined, baseUrl: string) {
    const stream = await this.own(clientId, streamId);
    return this.configuration(stream, baseUrl);
  }

  /** SSF 1.0 §8.1.1.2 without `stream_id`: every stream of the receiver (here none or one). */
  async list(clientId: string, baseUrl: string): Promise<StreamConfiguration[]> {
    const stream = await this.streams.findOwn(clientId);
    return stream ? [this.configuration(stream, baseUrl)] : [];
  }

  /** PATCH changes only what the request names; PUT replaces every receiver-supplied field. */
  async update(
    clientId: string,
    streamId: string,
    request: StreamRequest,
    mode: 'patch' | 'replace',
    baseUrl: string,
  ) {
    const stream = await this.own(clientId, streamId);
    // A replacement echoing the configuration it read carries the transmitter's poll URL.
    const pollUrl = this.configuration(stream, baseUrl).delivery.endpoint_url;
    if (request.delivery?.method === POLL_METHOD && request.delivery.endpoint_url === pollUrl) {
      request = { ...request, delivery: { method: POLL_METHOD } };
    }
    const merged: StreamRequest =
      mode === 'replace'
        ? request
        : {
            delivery: request.delivery ?? {
              method: stream.deliveryMethod,
              endpoint_url: stream.endpointUrl ?? undefined,
            },
            events_requested: request.events_requested ?? stream.eventsRequested,
            description: request.description ?? stream.description ?? undefined,
          };
    const settings = await this.settingsFrom(merged);
    const updated = await this.streams.update(stream.id, settings, this.clock.now());
    return this.configuration(updated, baseUrl);
  }

  async delete(clientId: string, streamId: string): Promise<void> {
    const stream = await this.own(clientId, streamId);
    await this.streams.delete(stream.id);
  }

  async status(clientId: string, streamId: string) {
    return this.statusOf(await this.own(clientId, streamId));
  }

  async setStatus(clientId: string, streamId: string, status: StreamStatus, reason?: string) {
    const stream = await this.own(clientId, streamId);
    const updated = await this.streams.setStatus(
      stream.id,
      status,
      reason ?? null,
      this.clock.now(),
    );
    if (status === 'enabled') this.bus.announce();
    return this.statusOf(updated);
  }

  /** SSF 1.0 §8.1.4.2: queues a verification event on the stream; it is delivered like any other. */
  async verify(clientId: string, streamId: string, state?: string): Promise<void> {
    const stream = await this.own(clientId, streamId);
    await this.deliveries.queueVerification(stream.id, state ?? null, this.clock.now());
    this.bus.announce();
  }

  /** The client's stream by id (or its only stream without one); 404 otherwise. */
  async own(clientId: string, streamId: string | undefined): Promise<Stream> {
    if (streamId !== undefined && !isUUID(streamId)) throw notFound();
    const stream = await this.streams.findOwn(clientId, streamId);
    if (!stream) throw notFound();
    return stream;
  }

  private statusOf(stream: Stream) {
    return {
      stream_id: stream.id,
      status: stream.status,
      ...(stream.statusReason === null ? {} : { reason: stream.statusReason }),
    };
  }

  private async settingsFrom(request: StreamRequest): Promise<StreamSettings> {
    const method = request.delivery?.method ?? POLL_METHOD;
    let endpointUrl: string | null = null;
    if (method === PUSH_METHOD) {
      const url = request.delivery?.endpoint_url;
      if (url === undefined) {
        throw new DomainError('invalid_push_endpoint', 'Push delivery needs delivery.endpoint_url');
      }
      await this.pushEndpoints.check(url);
      endpointUrl = url;
    } else if (request.delivery?.endpoint_url !== undefined) {
      // SSF 1.0 §8.1.1: for poll the transmitter supplies the URL.
      throw new DomainError(
        'validation_failed',
        'delivery.endpoint_url is set by the transmitter for poll delivery',
      );
    }
    return {
      deliveryMethod: method,
      endpointUrl,
      eventsRequested: [...new Set(request.events_requested ?? [])],
      description: request.description ?? null,
    };
  }

  configuration(stream: Stream, baseUrl: string): StreamConfiguration {
    const supported: readonly string[] = EVENTS_SUPPORTED;
    return {
      stream_id: stream.id,
      iss: this.config.jwtIssuer,
      aud: stream.clientId,
      delivery: {
        method: stream.deliveryMethod,
        endpoint_url:
          stream.deliveryMethod === POLL_METHOD
            ? `${baseUrl}/ssf/poll/${stream.id}`
            : (stream.endpointUrl ?? ''),
      },
      events_supported: [...EVENTS_SUPPORTED],
      events_requested: stream.eventsRequested,
      events_delivered: stream.eventsRequested.filter((event) => supported.includes(event)),
      ...(stream.description === null ? {} : { description: stream.description }),
    };
  }
}
