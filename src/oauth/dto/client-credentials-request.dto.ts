import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** RFC 6749 §4.4.2: the form body of a client-credentials token request. */
export class ClientCredentialsRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  grant_type!: string;

  /** One of the audiences configured for the client (default: its first, or JWT_AUDIENCE) */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  audience?: string;
}
