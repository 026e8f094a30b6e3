import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IsInstant } from './is-instant.decorator';
import { ReasonDto } from './reason.dto';

export class RevokeAllDto extends ReasonDto {
  /** Sessions started before this instant end (default and latest: now) */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsString()
  @IsInstant()
  issuedBefore?: string;
}

export class RevokeAllResponse {
  @ApiProperty({ example: 10000 })
  revokedSessions!: number;

  /** The instant recorded on every ending */
  @ApiProperty({ format: 'date-time' })
  timestamp!: string;
}
