import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class OptionalStreamIdQuery {
  /** Without it: every stream of the client */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  stream_id?: string;
}

export class StreamIdQuery {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @MaxLength(64)
  stream_id!: string;
}
