import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { STREAM_STATUSES, type StreamStatus } from '../stream';

/** SSF 1.0 §8.1.2.2: a receiver asks for its stream's status to change. */
export class StreamStatusDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @MaxLength(64)
  stream_id!: string;

  @ApiProperty({ enum: STREAM_STATUSES })
  @IsIn(STREAM_STATUSES, { message: `status must be one of: ${STREAM_STATUSES.join(', ')}` })
  status!: StreamStatus;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class StreamStatusResponse {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;

  @ApiProperty({ enum: STREAM_STATUSES })
  status!: string;

  reason?: string;
}
