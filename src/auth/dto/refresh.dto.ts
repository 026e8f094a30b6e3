import { IsString, MinLength } from 'class-validator';

/** Any string: one that is not a token this service issued is a 401, whatever its length. */
export class RefreshDto {
  /** The refresh token from login or the previous refresh (single use) */
  @IsString()
  @MinLength(1)
  refreshToken!: string;
}
