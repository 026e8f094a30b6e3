import { Controller, Get } from '@nestjs/common';
import { type AuthenticatedUser, CurrentSession, CurrentUser } from '@auth-service/auth-client';

/** A stand-in for a real business API: it only shows who called and from which session. */
@Controller()
export class OrdersController {
  @Get('orders')
  orders(
    @CurrentUser() user: AuthenticatedUser,
    @CurrentSession() sessionId: string,
  ): { userId: string; sessionId: string; orders: never[] } {
    return { userId: user.userId, sessionId, orders: [] };
  }
}
