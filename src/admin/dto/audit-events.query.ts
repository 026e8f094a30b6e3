import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsText } from '../../common/validation/is-text.decorator';
import { IsInstant } from './is-instant.decorator';

/** The filters shared by the audit trail's pages and its export. */
export class AuditFilterQuery {
  /** Events where this user is the actor or the subject */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ example: 'logout' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,64}$/, { message: 'action must be an action name such as logout' })
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'], { message: 'outcome must be success or failure' })
  outcome?: 'success' | 'failure';

  /** The client address, exactly */
  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsString()
  @IsIP(undefined, { message: 'ipAddress must be an IPv4 or IPv6 address' })
  ipAddress?: string;

  /** The X-Request-Id of the request that wrote the event */
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,128}$/, {
    message: 'requestId must be 1 to 128 visible ASCII characters',
  })
  requestId?: string;

  /** Inclusive lower bound */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsString()
  @IsInstant()
  from?: string;

  /** Inclusive upper bound */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsString()
  @IsInstant()
  to?: string;
}

export class AuditEventsQuery extends AuditFilterQuery {
  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(200)
  limit?: number;

  /** nextCursor of the previous page (opaque) */
  @IsOptional()
  @IsText(200)
  cursor?: string;
}
