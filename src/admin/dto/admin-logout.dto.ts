import { IsOptional, IsString, MaxLength } from 'class-validator';

export class AdminLogoutDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
