import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { IsReason } from './free-text.decorator';

/** A required reason, kept on the audit event (suspend, reactivate). */
export class ReasonDto {
  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Fraud investigation #4411' })
  @IsReason()
  @IsNotEmpty({ message: 'reason must not be empty' })
  reason!: string;
}
