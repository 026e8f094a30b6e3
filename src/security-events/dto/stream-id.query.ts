import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class OptionalStreamIdQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Without it: every stream of the client' })
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
