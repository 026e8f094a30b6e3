import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class StreamDeliveryResponse {
  @ApiProperty({ example: 'urn:ietf:rfc:8936' })
  method!: string;

  @ApiProperty({
    format: 'uri',
    description: 'Poll: the URL to poll. Push: the receiver endpoint.',
  })
  endpoint_url!: string;
}

/** SSF 1.0 §8.1.1: a stream's configuration. */
export class StreamConfigurationResponse {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;

  @ApiProperty({ description: 'The `iss` of the SETs' })
  iss!: string;

  @ApiProperty({ description: 'The `aud` of the SETs: the receiver client id' })
  aud!: string;

  @ApiProperty({ type: StreamDeliveryResponse })
  delivery!: StreamDeliveryResponse;

  @ApiProperty({ type: [String] })
  events_supported!: string[];

  @ApiProperty({ type: [String] })
  events_requested!: string[];

  @ApiProperty({ type: [String] })
  events_delivered!: string[];

  @ApiPropertyOptional()
  description?: string;
}
