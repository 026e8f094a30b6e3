/**
 * A Redis pub/sub message a caller sends along with its own writes (one round trip for
 * both). Channels are not prefixed by the client: `channel` carries the deployment's prefix.
 */
export interface ChannelMessage {
  channel: string;
  message: string;
}
