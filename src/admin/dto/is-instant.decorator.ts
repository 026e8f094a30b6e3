import { applyDecorators } from '@nestjs/common';
import { IsISO8601, Matches } from 'class-validator';

/**
 * An RFC 3339 timestamp with its offset (`2026-11-24T18:40:00.000Z`), or a date alone (UTC
 * midnight). Other ISO 8601 forms (week or ordinal dates, basic format, decimal commas, a
 * time without an offset) name no one instant or are not what `Date` reads, so they are 400.
 */
const INSTANT = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))?$/;

export const IsInstant = (): PropertyDecorator =>
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
