import { ApiProperty } from '@nestjs/swagger';

class LogoutCounts {
  @ApiProperty({ example: 120 })
  success!: number;

  @ApiProperty({ example: 3 })
  failure!: number;
}

export class AdminStatsResponse {
  @ApiProperty({ format: 'date-time', description: 'Start of the window (the last 24 hours)' })
  since!: string;

  @ApiProperty({ type: LogoutCounts, description: 'User and admin logouts by outcome' })
  logouts!: LogoutCounts;

  @ApiProperty({ example: 4, description: 'Requests refused with 429 that were audited' })
  rateLimited!: number;

  @ApiProperty({ example: 0, description: 'Refresh-token reuse detections' })
  reuseDetections!: number;
}
