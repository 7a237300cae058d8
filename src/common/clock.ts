import { Injectable } from '@nestjs/common';

/** The one source of "now" for rules and schedules, so tests can move time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
