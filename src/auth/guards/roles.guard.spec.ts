import { Controller } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { type FastifyRequest } from 'fastify';
import { Roles } from '../decorators/roles.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { RolesGuard } from './roles.guard';

const bearer = (roles: string[]): AuthenticatedUser => ({
  userId: '0b8a3c9e-3f0e-4a61-9a3b-6f8f2a3d1c55',
  sessionId: '6f1c2a4e-8a57-4a53-9d8e-0d6f3f3f2b10',
  roles,
  authTime: 1_764_000_000,
  tokenId: 'f4e7a2b1-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  expiresAt: 1_764_000_900,
});

@Controller()
class RoutesUnderTest {
  open(): void {}

  @Roles('admin')
  adminOnly(): void {}

  @Roles('admin', 'auditor')
  adminOrAuditor(): void {}
}

@Roles('admin')
@Controller()
class AdminController {
  anything(): void {}
}

function contextFor(
  controller: new () => object,
  handler: string,
  request: Partial<FastifyRequest>,
): ExecutionContextHost {
  const context = new ExecutionContextHost(
    [request, {}, undefined],
    controller as never,
    (controller.prototype as Record<string, () => void>)[handler],
  );
  context.setType('http');
  return context;
}

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());
  const refusal = (run: () => unknown): DomainError => {
    try {
      run();
    } catch (error) {
      return error as DomainError;
    }
    throw new Error('expected a refusal');
  };

  it('lets anyone through a route that asks for no role', () => {
    expect(guard.canActivate(contextFor(RoutesUnderTest, 'open', {}))).toBe(true);
  });

  it('needs one of the roles a route or its controller asks for', () => {
    const admin = { user: bearer(['admin']) };
    const auditor = { user: bearer(['auditor']) };
    expect(guard.canActivate(contextFor(RoutesUnderTest, 'adminOnly', admin))).toBe(true);
    expect(guard.canActivate(contextFor(AdminController, 'anything', admin))).toBe(true);
    expect(guard.canActivate(contextFor(RoutesUnderTest, 'adminOrAuditor', auditor))).toBe(true);
    for (const [controller, handler] of [
      [RoutesUnderTest, 'adminOnly'],
      [AdminController, 'anything'],
    ] as const) {
      const error = refusal(() => guard.canActivate(contextFor(controller, handler, auditor)));
      expect(error).toBeInstanceOf(DomainError);
      expect(error.status).toBe(403);
    }
  });

  it('fails closed: without an authenticated user it is a 401, whatever order guards run in', () => {
    const error = refusal(() => guard.canActivate(contextFor(AdminController, 'anything', {})));
    expect(error.status).toBe(401);
  });
});
