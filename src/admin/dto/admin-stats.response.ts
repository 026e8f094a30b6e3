import { ApiProperty } from '@nestjs/swagger';

class LogoutCounts {
  @ApiProperty({ example: 120 })
  success!: number;

  @ApiProperty({ example: 3 })
  failure!: number;
}

export class AdminStatsResponse {
  /** Start of the window (the last 24 hours) */
  @ApiProperty({ format: 'date-time' })
  since!: string;

  /** User and admin logouts by outcome */
  logouts!: LogoutCounts;

  /** Requests refused with 429 that were audited */
  @ApiProperty({ example: 4 })
  rateLimited!: number;

  /** Refresh-token reuse detections */
  @ApiProperty({ example: 0 })
  reuseDetections!: number;
}
