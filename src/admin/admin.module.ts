import { Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { AuthModule } from '../auth/auth.module';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditService } from './admin-audit.service';
import { adminConsoleStatic } from './admin-console.static';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminService } from './admin.service';
import { StepUpPolicy } from './step-up.policy';

@Module({
  imports: [AuthModule, ServeStaticModule.forRoot(adminConsoleStatic())],
  controllers: [AdminUsersController, AdminSessionsController, AdminAuditController],
  providers: [AdminService, AdminAuditService, StepUpPolicy],
})
export class AdminModule {}
