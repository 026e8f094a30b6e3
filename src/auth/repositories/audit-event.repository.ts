import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEvent } from '../entities/audit-event.entity';

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

@Injectable()
export class AuditEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    event: NewAuditEvent,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.getRepository(AuditEvent).insert(event);
  }
}
