import { IsString, MinLength } from 'class-validator';

/** Any string: one that is not a token this service issued is a 401, whatever its length. */
export class RefreshDto {
  @IsString()
  @MinLength(1)
  refreshToken!: string;
}
