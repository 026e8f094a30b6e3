import { ApiPropertyOptional } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsISO8601, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsText } from '../../common/validation/is-text.decorator';

/**
 * An RFC 3339 timestamp with its offset (`2026-11-24T18:40:00.000Z`), or a date alone (UTC
 * midnight). Other ISO 8601 forms (week or ordinal dates, basic format, decimal commas, a
 * time without an offset) name no one instant or are not what `Date` reads, so they are 400.
 */
const INSTANT = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))?$/;

const IsInstant = (): PropertyDecorator =>
  applyDecorators(
    Matches(INSTANT, {
      message: ({ property }) =>
        `${property} must be an ISO 8601 timestamp with a time zone, such as 2026-11-24T18:40:00.000Z`,
    }),
    // Catches what the pattern cannot: February 30th, hour 25.
    IsISO8601(
      { strict: true, strictSeparator: true },
      { message: ({ property }) => `${property} is not a real date and time` },
    ),
  );

export class AuditEventsQuery {
  /** Events where this user is the actor or the subject. */
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Events where this user is the actor or the subject',
  })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ example: 'logout' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,64}$/, { message: 'action must be an action name such as logout' })
  action?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive lower bound' })
  @IsOptional()
  @IsString()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive upper bound' })
  @IsOptional()
  @IsString()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsText(200)
  cursor?: string;
}
