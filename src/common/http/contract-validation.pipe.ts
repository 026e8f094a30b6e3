import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain.error';
import { unsafeInputShape } from './body-shape';

/**
 * The contract's validation: unknown fields are 400, every message names its field. Before
 * class-validator it refuses what no DTO can safely take: nesting deep enough to overflow a
 * recursive walk, and keys that reach prototypes (`__proto__`, `constructor`), which the
 * whitelist does not see. It runs inside the route, so a refused logout is still audited.
 */
export class ContractValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      exceptionFactory: (errors) =>
        new DomainError(
          'validation_failed',
          errors
            .flatMap((error) =>
              Object.values(
                error.constraints ?? { [error.property]: `${error.property} is invalid` },
              ),
            )
            .join('; '),
        ),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = unsafeInputShape(value);
      if (problem) throw new DomainError('validation_failed', problem);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}
