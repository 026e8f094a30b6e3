import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { IsText } from '../../common/validation/is-text.decorator';

/** The form body of RFC 7662 introspection and RFC 7009 revocation requests. */
export class TokenRequestDto {
  /** An access token or a refresh token */
  @IsString()
  @MinLength(1)
  token!: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  @IsOptional()
  @IsText(64)
  token_type_hint?: string;
}
