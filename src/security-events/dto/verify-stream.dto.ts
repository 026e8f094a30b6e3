import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** SSF 1.0 §8.1.4.2: ask for a verification event on the stream. */
export class VerifyStreamDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @MaxLength(64)
  stream_id!: string;

  /** Echoed in the verification event */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  state?: string;
}
