import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LOGOUT_SCOPES, type LogoutScope } from '../logout-scope';

export class LogoutDto {
  /** global: every session of the user; local: this session; others: all but this one */
  @ApiPropertyOptional({ enum: LOGOUT_SCOPES, default: 'global' })
  @IsOptional()
  @IsIn(LOGOUT_SCOPES, { message: `scope must be one of: ${LOGOUT_SCOPES.join(', ')}` })
  scope?: LogoutScope;
}
