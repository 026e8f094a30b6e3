import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';

/**
 * Refuses C0 and C1 control characters (NUL, line breaks, tabs, escape sequences, DEL) with a
 * 400 naming the field. PostgreSQL refuses NUL in `text` (it was a 500), and the others let a
 * value rewrite the lines of a log, a CSV export or an admin's screen.
 */
export const NoControlCharacters = (): PropertyDecorator =>
  Matches(/^\P{Cc}*$/u, {
    message: ({ property }) => `${property} must not contain control characters`,
  });

/**
 * Every free-text field of a request: a string of at most `maxLength` characters without
 * control characters. One decorator, so no free-text field can forget the check.
 */
export const IsText = (maxLength: number): PropertyDecorator =>
  applyDecorators(IsString(), MaxLength(maxLength), NoControlCharacters());
