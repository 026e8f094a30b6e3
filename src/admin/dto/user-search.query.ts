import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsText } from '../../common/validation/is-text.decorator';

export class UserSearchQuery {
  /** An email prefix (case-insensitive) or a user id; empty lists every user */
  @ApiPropertyOptional({ example: 'ada@' })
  @IsOptional()
  @IsText(254)
  query?: string;

  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(100)
  limit?: number;

  /** nextCursor of the previous page (opaque) */
  @IsOptional()
  @IsText(1200)
  cursor?: string;
}
