import { ApiProperty } from '@nestjs/swagger';
import { type Profile } from '../services/user.service';

export class ProfileResponse implements Profile {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ example: ['admin'] })
  roles!: string[];

  @ApiProperty({ format: 'uuid' })
  sessionId!: string | null;
}
