import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { type ChannelMessage } from '../../redis/channel-message';

/** Under the deployment's `REDIS_KEY_PREFIX` (channels are not prefixed by the client). */
const CHANNEL = 'sessions-ended';

/**
 * Redis pub/sub between instances: each publishes the sessions it ended, every instance
 * hears them within milliseconds. While this instance is not subscribed it may miss
 * endings, so `connected` is false and callers must not trust what they cached.
 */
export class SessionEndedChannel {
  private readonly logger = new Logger(SessionEndedChannel.name);
  private readonly subscriber: Redis;
  private readonly channel: string;
  private subscribed = false;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly onEnded: (sessionIds: string[]) => void,
    private readonly onUnsubscribed: () => void,
  ) {
    this.channel = `${prefix}${CHANNEL}`;
    // A connection of its own: a subscribed connection can run no other command.
    this.subscriber = redis.duplicate({ keyPrefix: '' });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => this.lost());
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onEnded(message.split(','));
    });
  }

  get connected(): boolean {
    return this.subscribed;
  }

  /** The message that tells the other instances of these endings (sent with the store's writes). */
  messageFor(sessionIds: readonly string[]): ChannelMessage {
    return { channel: this.channel, message: sessionIds.join(',') };
  }

  close(): void {
    this.subscribed = false;
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      this.subscribed = true;
    } catch (error) {
      this.logger.warn(`Could not subscribe to session endings: ${String(error)}`);
    }
  }

  private lost(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.onUnsubscribed();
  }
}
