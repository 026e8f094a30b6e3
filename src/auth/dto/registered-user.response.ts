import { ApiProperty } from '@nestjs/swagger';

export class RegisteredUserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-24T18:40:00.000Z' })
  createdAt!: string;
}
