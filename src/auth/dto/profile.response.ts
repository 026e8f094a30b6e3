import { ApiProperty } from '@nestjs/swagger';
import { type Profile } from '../services/user.service';

export class ProfileResponse implements Profile {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ type: [String], example: ['admin'] })
  roles!: string[];

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  sessionId!: string | null;
}
