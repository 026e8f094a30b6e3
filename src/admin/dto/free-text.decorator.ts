import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';

/** An admin's reason: up to 500 characters of text, no control characters (they forge log lines). */
export const IsReason = (): PropertyDecorator =>
  applyDecorators(
    IsString(),
    MaxLength(500),
    Matches(/^[^\p{Cc}]*$/u, { message: 'reason must not contain control characters' }),
  );
