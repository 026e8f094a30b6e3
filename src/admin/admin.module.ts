import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditService } from './admin-audit.service';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminService } from './admin.service';
import { StepUpPolicy } from './step-up.policy';

@Module({
  imports: [AuthModule],
  controllers: [AdminUsersController, AdminSessionsController, AdminAuditController],
  providers: [AdminService, AdminAuditService, StepUpPolicy],
})
export class AdminModule {}
