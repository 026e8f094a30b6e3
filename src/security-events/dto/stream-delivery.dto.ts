import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { DELIVERY_METHODS } from '../stream';

/** SSF 1.0 §8.1.1: how SETs reach the receiver. */
export class StreamDeliveryDto {
  /** RFC 8935 push or RFC 8936 poll */
  @IsIn(DELIVERY_METHODS, {
    message: `delivery.method must be one of: ${DELIVERY_METHODS.join(', ')}`,
  })
  method!: string;

  /**
   * Push: the receiver endpoint (https, or an origin in SSF_PUSH_ALLOWED_ORIGINS; no private
   * address; must not redirect). Poll: set by the transmitter, never sent.
   */
  @ApiPropertyOptional({ format: 'uri' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  endpoint_url?: string;
}
