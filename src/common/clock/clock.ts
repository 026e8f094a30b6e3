import { Injectable } from '@nestjs/common';

/** The source of "now", injected so tests can move time instead of waiting for it. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
