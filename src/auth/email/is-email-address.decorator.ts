import { applyDecorators } from '@nestjs/common';
import { IsEmail, MaxLength } from 'class-validator';
import { NoControlCharacters } from '../../common/validation/is-text.decorator';

/** An email address in a request body (login, registration): RFC 5321's 254 characters at most. */
export const IsEmailAddress = (): PropertyDecorator =>
  applyDecorators(
    IsEmail({}, { message: 'email must be an email address' }),
    MaxLength(254),
    NoControlCharacters(),
  );
