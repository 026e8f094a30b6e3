import { ApiProperty } from '@nestjs/swagger';

class StreamDeliveryResponse {
  @ApiProperty({ example: 'urn:ietf:rfc:8936' })
  method!: string;

  /** Poll: the URL to poll. Push: the receiver endpoint. */
  @ApiProperty({ format: 'uri' })
  endpoint_url!: string;
}

/** SSF 1.0 §8.1.1: a stream's configuration. */
export class StreamConfigurationResponse {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;

  /** The `iss` of the SETs */
  iss!: string;

  /** The `aud` of the SETs: the receiver client id */
  aud!: string;

  delivery!: StreamDeliveryResponse;

  events_supported!: string[];

  events_requested!: string[];

  events_delivered!: string[];

  description?: string;
}
