import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import { StreamRequestDto } from './stream-request.dto';

/**
 * SSF 1.0 §8.1.1.3/4: an update (PATCH) or replacement (PUT) names its stream. A replacement
 * may echo the transmitter-supplied properties; they are read-only and ignored.
 */
export class StreamUpdateDto extends StreamRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @MaxLength(64)
  stream_id!: string;

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsString()
  iss?: string;

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsString()
  aud?: string;

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  events_supported?: string[];

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  events_delivered?: string[];

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsInt()
  min_verification_interval?: number;
}
