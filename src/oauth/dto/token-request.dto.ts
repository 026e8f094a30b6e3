import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The form body of RFC 7662 introspection and RFC 7009 revocation requests. */
export class TokenRequestDto {
  @IsString()
  @MinLength(1)
  token!: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}
