import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsText } from '../../common/validation/is-text.decorator';

export class AdminLogoutDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Account reported compromised' })
  @IsOptional()
  @IsText(500)
  reason?: string;
}
