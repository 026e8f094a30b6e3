import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IsInstant } from './is-instant.decorator';
import { ReasonDto } from './reason.dto';

export class RevokeAllDto extends ReasonDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Sessions started before this instant end (default and latest: now)',
  })
  @IsOptional()
  @IsString()
  @IsInstant()
  issuedBefore?: string;
}

export class RevokeAllResponse {
  @ApiProperty({ example: 10000 })
  revokedSessions!: number;

  @ApiProperty({ format: 'date-time', description: 'The instant recorded on every ending' })
  timestamp!: string;
}
