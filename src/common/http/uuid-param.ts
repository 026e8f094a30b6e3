import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain.error';

/** A path id that must be a UUID: 400 naming the parameter, as every validation error does. */
export const uuidParam = (name: string): ParseUUIDPipe =>
  new ParseUUIDPipe({
    exceptionFactory: () => new DomainError('validation_failed', `${name} must be a UUID`),
  });
