import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class UserSearchQuery {
  @ApiPropertyOptional({
    description: 'An email prefix (case-insensitive) or a user id; empty lists every user',
    example: 'ada@',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'query must not contain control characters' })
  query?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(1200)
  cursor?: string;
}
