import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** RFC 8936 §2.4: acknowledge, report errors, and ask for more. */
export class PollRequestDto {
  @ApiPropertyOptional({ type: [String], description: 'jti values of SETs received and processed' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ack?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { err: { type: 'string' }, description: { type: 'string' } },
      required: ['err'],
    },
    description: 'jti → { err, description }: SETs received but refused (not sent again)',
  })
  @IsOptional()
  @IsObject()
  setErrs?: Record<string, { err: string; description?: string }>;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, default: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  maxEvents?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'false: wait (up to SSF_POLL_TIMEOUT) until an event is available',
  })
  @IsOptional()
  @IsBoolean()
  returnImmediately?: boolean;
}

export class PollResponse {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'jti → compact SET (typ secevent+jwt)',
  })
  sets!: Record<string, string>;

  @ApiPropertyOptional()
  moreAvailable!: boolean;
}
