import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsReason } from './free-text.decorator';

/** An optional reason, kept on the audit event (global logout, ending one session). */
export class AdminLogoutDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Account reported compromised' })
  @IsOptional()
  @IsReason()
  reason?: string;
}
