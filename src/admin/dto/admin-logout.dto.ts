import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class AdminLogoutDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Account reported compromised' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
