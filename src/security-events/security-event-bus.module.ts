import { Module } from '@nestjs/common';
import { SecurityEventBus } from './security-event.bus';

/**
 * The announcement bus alone, so the session lifecycle (AuthModule) can announce the events
 * its statements record without depending on the transmitter, which depends on it.
 */
@Module({
  providers: [SecurityEventBus],
  exports: [SecurityEventBus],
})
export class SecurityEventBusModule {}
