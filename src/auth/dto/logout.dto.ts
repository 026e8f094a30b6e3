import { IsIn, IsOptional } from 'class-validator';
import { LOGOUT_SCOPES, type LogoutScope } from '../logout-scope';

export class LogoutDto {
  @IsOptional()
  @IsIn(LOGOUT_SCOPES, { message: `scope must be one of: ${LOGOUT_SCOPES.join(', ')}` })
  scope?: LogoutScope;
}
