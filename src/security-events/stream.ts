/** A receiver's stream as stored (`ssf_streams`). */
export interface Stream {
  id: string;
  clientId: string;
  kind: 'ssf' | 'backchannel';
  deliveryMethod: string;
  endpointUrl: string | null;
  eventsRequested: string[];
  description: string | null;
  status: StreamStatus;
  statusReason: string | null;
  createdAt: Date;
}

export const STREAM_STATUSES = ['enabled', 'paused', 'disabled'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export const POLL_METHOD = 'urn:ietf:rfc:8936';
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const DELIVERY_METHODS = [PUSH_METHOD, POLL_METHOD] as const;
/** Receivers of OpenID Connect Back-Channel Logout 1.0 (not an SSF method; never on the API). */
export const BACKCHANNEL_METHOD = 'backchannel-logout';

/** What a receiver may set on its stream (SSF 1.0 §8.1.1). */
export interface StreamSettings {
  deliveryMethod: string;
  endpointUrl: string | null;
  eventsRequested: string[];
  description: string | null;
}
