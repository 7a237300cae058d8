import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { AuthGuard } from './auth.guard';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { RateLimitGuard } from './rate-limit.guard';
import { UsersController } from './users.controller';

@Module({
  imports: [AuditModule],
  controllers: [UsersController],
  providers: [AuthRepository, AuthService, AuthFailureLimiter, AuthGuard, RateLimitGuard],
  exports: [AuthService, AuthFailureLimiter, AuthGuard, RateLimitGuard],
})
export class AuthModule {}
