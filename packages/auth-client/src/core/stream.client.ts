import { randomUUID } from 'node:crypto';
import { type ResolvedAuthClientOptions } from './auth-client.options';
import { POLL_DELIVERY, PUSH_DELIVERY, REQUESTED_EVENTS } from './event-types';
import { HttpError, type JsonRequest, requestJson } from './http';
import { type ReceivedSecurityEvent } from './security-event';
import { SecurityEventError } from './security-event.error';
import { type SecurityEventVerifier } from './security-event.verifier';
import { type ServiceMetadata, type SsfEndpoints } from './service-metadata';
import { type ServiceTokenProvider } from './service-token.provider';

interface StreamConfiguration {
  stream_id: string;
  delivery?: { method?: string; endpoint_url?: string };
  events_requested?: string[];
}

interface PollResponse {
  sets?: Record<string, string>;
  moreAvailable?: boolean;
}

/** RFC 8935 §2 answers, for whichever HTTP framework mounts the push endpoint. */
export type PushResult =
  | { status: 202 }
  | { status: 400; body: { err: string; description: string } }
  /** The SET could not be checked now (JWKS unreachable): the transmitter retries later. */
  | { status: 503; body: { err: 'temporarily_unavailable'; description: string } };

/** The server holds a poll up to ~25 s (SSF-PROTOCOL); a request is given up a while after that. */
const LONG_POLL_TIMEOUT_MS = 40_000;
export const SECURITY_EVENT_CONTENT_TYPE = 'application/secevent+jwt';

/**
 * The receiver side of this service's SSF stream: finds or creates the stream, then either
 * long-polls it (RFC 8936, acknowledging each SET by `jti` once it took effect) or receives
 * pushed SETs (RFC 8935) and asks for a verification event often enough to know the path
 * works. Every SET is verified before it counts; one that fails for good is reported back
 * as a `setErr`, one that cannot be checked now is left unacknowledged and comes again.
 */
export class StreamClient {
  private running = false;
  private loop?: Promise<void>;
  private abort?: AbortController;
  private wake?: () => void;
  private pollUrl?: string;
  private streamId?: string;
  private lastSuccessAt?: number;
  private pollingSince?: number;
  /** A long poll counts as contact only while the one before it succeeded. */
  private connected = false;
  /** When the stream first answered: endings before it may have reached an earlier instance only. */
  private established?: number;

  constructor(
    private readonly options: ResolvedAuthClientOptions,
    private readonly metadata: ServiceMetadata,
    private readonly tokens: ServiceTokenProvider,
    private readonly verifier: SecurityEventVerifier,
    private readonly apply: (event: ReceivedSecurityEvent) => void,
  ) {}

  /** Starts the background loop; never throws (failures are logged and retried with back-off). */
  start(): void {
    if (this.running || this.options.delivery === false) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Stops the loop; acknowledgements already owed are sent first, so nothing applied comes back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  /**
   * Whether the stream vouches that no ending was missed: a poll answered (or, with push, a
   * verification event arrived) within `staleAfterMs`. A long poll that is still waiting on a
   * live connection counts as contact.
   */
  isFresh(): boolean {
    if (this.lastSuccessAt === undefined) return false;
    const now = this.options.now();
    const waiting =
      this.pollingSince !== undefined && now - this.pollingSince <= LONG_POLL_TIMEOUT_MS;
    return waiting || now - this.lastSuccessAt <= this.options.staleAfterMs;
  }

  /** The first moment this process knew its stream was delivering; undefined until then. */
  get establishedAt(): number | undefined {
    return this.established;
  }

  /** RFC 8935: one pushed SET. Mount it at the path of `delivery.endpointUrl`. */
  async receivePush(contentType: string | undefined, body: string): Promise<PushResult> {
    const type = contentType?.split(';')[0].trim().toLowerCase();
    if (type !== SECURITY_EVENT_CONTENT_TYPE) {
      return {
        status: 400,
        body: {
          err: 'invalid_request',
          description: `Content-Type must be ${SECURITY_EVENT_CONTENT_TYPE}`,
        },
      };
    }
    try {
      this.accept(await this.verifier.verify(body.trim()));
      return { status: 202 };
    } catch (error) {
      if (error instanceof SecurityEventError) {
        return { status: 400, body: { err: error.err, description: error.message } };
      }
      this.options.logger.warn(
        `auth-client: a pushed SET could not be checked now: ${describe(error)}`,
      );
      return {
        status: 503,
        body: { err: 'temporarily_unavailable', description: 'the SET cannot be verified now' },
      };
    }
  }

  private async run(): Promise<void> {
    let delay = this.options.retryDelayMs.first;
    while (this.running) {
      try {
        if (this.streamId === undefined) await this.ensureStream();
        if (this.isPush()) {
          await this.requestVerification();
          await this.sleep(this.options.staleAfterMs / 3);
        } else {
          await this.pollOnce();
        }
        delay = this.options.retryDelayMs.first;
      } catch (error) {
        this.connected = false;
        this.pollingSince = undefined;
        if (!this.running) break;
        if (error instanceof HttpError && error.status === 404) this.streamId = undefined;
        this.options.logger.warn(
          `auth-client: stream call failed, retrying in ${delay} ms: ${describe(error)}`,
        );
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.options.retryDelayMs.max);
      }
    }
    await this.flushAcknowledgements();
  }

  private readonly owedAcks = new Set<string>();
  private readonly owedErrors = new Map<string, { err: string; description: string }>();

  private async pollOnce(): Promise<void> {
    const acks = [...this.owedAcks];
    const setErrs = Object.fromEntries(this.owedErrors);
    this.pollingSince = this.connected ? this.options.now() : undefined;
    const response = await this.call<PollResponse>(this.pollUrl!, {
      body: {
        ...(acks.length > 0 ? { ack: acks } : {}),
        ...(this.owedErrors.size > 0 ? { setErrs } : {}),
        maxEvents: this.options.maxEventsPerPoll,
        // Until a poll has succeeded, answer at once: contact is what makes the stream fresh.
        returnImmediately: !this.connected,
      },
      timeoutMs: LONG_POLL_TIMEOUT_MS,
      signal: this.abort?.signal,
    });
    this.pollingSince = undefined;
    // The transmitter has them now; only what this response brings is owed next time.
    for (const jti of acks) this.owedAcks.delete(jti);
    for (const jti of Object.keys(setErrs)) this.owedErrors.delete(jti);
    for (const [jti, set] of Object.entries(response?.sets ?? {})) {
      try {
        const event = await this.verifier.verify(set);
        if (event.jti !== jti)
          throw new SecurityEventError('invalid_request', 'jti does not match its key');
        this.accept(event);
        this.owedAcks.add(jti);
      } catch (error) {
        if (!(error instanceof SecurityEventError)) throw error; // transient: not acknowledged
        this.options.logger.warn(`auth-client: refused SET ${jti}: ${error.message}`);
        this.owedErrors.set(jti, { err: error.err, description: error.message });
      }
    }
    this.markContact();
  }

  private markContact(): void {
    this.connected = true;
    this.lastSuccessAt = this.options.now();
    this.established ??= this.lastSuccessAt;
  }

  private accept(event: ReceivedSecurityEvent): void {
    this.apply(event);
    if (event.kind === 'verification' && this.isPush()) this.markContact();
  }

  private async flushAcknowledgements(): Promise<void> {
    if (this.pollUrl === undefined || (this.owedAcks.size === 0 && this.owedErrors.size === 0))
      return;
    try {
      await this.call(this.pollUrl, {
        body: {
          ack: [...this.owedAcks],
          ...(this.owedErrors.size > 0 ? { setErrs: Object.fromEntries(this.owedErrors) } : {}),
          maxEvents: 0,
          returnImmediately: true,
        },
      });
      this.owedAcks.clear();
      this.owedErrors.clear();
    } catch (error) {
      // Not lost: unacknowledged SETs are delivered again and applying one twice is harmless.
      this.options.logger.warn(`auth-client: final acknowledgement failed: ${describe(error)}`);
    }
  }

  /** One stream per client: read it, create it when missing, align its delivery with ours. */
  private async ensureStream(): Promise<void> {
    const ssf = await this.metadata.ssf();
    const wanted = this.wantedDelivery();
    const listed = await this.call<StreamConfiguration | StreamConfiguration[] | undefined>(
      ssf.configurationEndpoint,
    );
    let stream = (Array.isArray(listed) ? listed : listed ? [listed] : [])[0];
    if (stream === undefined) {
      stream = await this.call<StreamConfiguration>(ssf.configurationEndpoint, {
        body: {
          delivery: wanted,
          events_requested: REQUESTED_EVENTS,
          description: this.options.clientId,
        },
      });
    } else if (!sameDelivery(stream.delivery, wanted) || !requestsAll(stream.events_requested)) {
      stream = await this.call<StreamConfiguration>(ssf.configurationEndpoint, {
        method: 'PATCH',
        body: { stream_id: stream.stream_id, delivery: wanted, events_requested: REQUESTED_EVENTS },
      });
    }
    await this.enable(ssf, stream.stream_id);
    this.streamId = stream.stream_id;
    this.pollUrl = wanted.method === POLL_DELIVERY ? stream.delivery?.endpoint_url : undefined;
    if (wanted.method === POLL_DELIVERY && !this.pollUrl) {
      throw new Error('the stream configuration names no poll endpoint_url');
    }
    this.options.logger.log(`auth-client: receiving security events on stream ${stream.stream_id}`);
  }

  private async enable(ssf: SsfEndpoints, streamId: string): Promise<void> {
    if (!ssf.statusEndpoint) return;
    const url = `${ssf.statusEndpoint}?stream_id=${encodeURIComponent(streamId)}`;
    const { status } = await this.call<{ status?: string }>(url);
    if (status !== 'enabled') {
      await this.call(ssf.statusEndpoint, { body: { stream_id: streamId, status: 'enabled' } });
    }
  }

  private async requestVerification(): Promise<void> {
    const ssf = await this.metadata.ssf();
    if (!ssf.verificationEndpoint)
      throw new Error('the auth service names no verification_endpoint');
    await this.call(ssf.verificationEndpoint, {
      body: { stream_id: this.streamId, state: randomUUID() },
    });
  }

  private isPush(): boolean {
    return this.options.delivery !== false && this.options.delivery.method === 'push';
  }

  private wantedDelivery(): { method: string; endpoint_url?: string } {
    const delivery = this.options.delivery;
    return delivery !== false && delivery.method === 'push'
      ? { method: PUSH_DELIVERY, endpoint_url: delivery.endpointUrl }
      : { method: POLL_DELIVERY };
  }

  /** A stream call with this client's bearer token; a 401 renews the token once. */
  private async call<T>(url: string, request: JsonRequest = {}): Promise<T> {
    const send = async () =>
      requestJson<T>(url, {
        ...request,
        headers: { authorization: await this.tokens.authorization() },
      });
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 401) throw error;
      this.tokens.forget();
      return send();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        done();
      }
      this.wake = finish;
    });
  }
}

function sameDelivery(
  actual: StreamConfiguration['delivery'],
  wanted: { method: string; endpoint_url?: string },
): boolean {
  if (actual?.method !== wanted.method) return false;
  return wanted.method === POLL_DELIVERY || actual.endpoint_url === wanted.endpoint_url;
}

function requestsAll(requested: string[] | undefined): boolean {
  return REQUESTED_EVENTS.every((uri) => requested?.includes(uri));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
