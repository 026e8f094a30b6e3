import { Clock } from '../../src/common/clock/clock';

/** A clock that runs with real time but can be moved forward, to test expiry without waiting. */
export class SettableClock extends Clock {
  private offsetMs = 0;

  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
