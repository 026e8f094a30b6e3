import { Controller, Get } from '@nestjs/common';
import { AuthClient, Public } from '@auth-service/auth-client';

@Controller('health')
export class HealthController {
  constructor(private readonly auth: AuthClient) {}

  /** `stream: stale` means ended sessions are being checked by introspection instead. */
  @Public()
  @Get()
  health(): { status: 'ok'; stream: 'fresh' | 'stale' } {
    return { status: 'ok', stream: this.auth.isStreamFresh() ? 'fresh' : 'stale' };
  }
}
