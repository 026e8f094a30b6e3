import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { UserRepository } from '../repositories/user.repository';

export interface Profile {
  id: string;
  email: string;
  roles: string[];
  sessionId: string | null;
}

@Injectable()
export class UserService {
  constructor(private readonly users: UserRepository) {}

  async exists(userId: string): Promise<boolean> {
    return (await this.users.findById(userId)) !== null;
  }

  async profile(bearer: AuthenticatedUser): Promise<Profile> {
    const user = await this.users.findProfile(bearer.userId);
    if (!user)
      throw new DomainError('invalid_token', 'The account of this access token no longer exists');
    return {
      id: user.id,
      email: user.email,
      roles: user.roles,
      sessionId: bearer.sessionId ?? null,
    };
  }
}
