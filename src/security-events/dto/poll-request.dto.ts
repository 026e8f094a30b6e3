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
  /** jti values of SETs received and processed */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ack?: string[];

  /** jti → { err, description }: SETs received but refused (not sent again) */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { err: { type: 'string' }, description: { type: 'string' } },
      required: ['err'],
    },
  })
  @IsOptional()
  @IsObject()
  setErrs?: Record<string, { err: string; description?: string }>;

  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  maxEvents?: number;

  /** false: wait (up to SSF_POLL_TIMEOUT) until an event is available */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  returnImmediately?: boolean;
}

export class PollResponse {
  /** jti → compact SET (typ secevent+jwt) */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  sets!: Record<string, string>;

  @ApiPropertyOptional()
  moreAvailable!: boolean;
}
