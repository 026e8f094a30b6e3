import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { EVENTS_SUPPORTED } from '../event-types';
import { StreamDeliveryDto } from './stream-delivery.dto';

/** SSF 1.0 §8.1.1.1: the receiver-supplied properties of a stream. */
export class StreamRequestDto {
  /** Default: poll (RFC 8936) */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamDeliveryDto)
  delivery?: StreamDeliveryDto;

  @ApiPropertyOptional({ example: EVENTS_SUPPORTED })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  events_requested?: string[];

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}
