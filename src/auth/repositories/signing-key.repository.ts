import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SigningKey } from '../entities/signing-key.entity';

/** Any 64-bit number unique to this service: instances generating a first key take turns. */
const KEY_GENERATION_LOCK = 7_201_338_816;

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The newest stored key, or the one `generate` creates, under an advisory lock so concurrent starts agree. */
  findNewestOrCreate(generate: () => SigningKey): Promise<SigningKey> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_GENERATION_LOCK]);
      const repository = manager.getRepository(SigningKey);
      const [newest] = await repository.find({ order: { createdAt: 'DESC' }, take: 1 });
      if (newest) return newest;
      const key = generate();
      await repository.insert(key);
      return key;
    });
  }
}
