import { Logger } from '@nestjs/common';
import { Client, type QueryResult } from 'pg';
import { dbQueryDuration, dbSlowQueries } from '../modules/monitoring/metrics';
import { statementVerb } from './statement-verb';

/** A slow statement is logged with at most this much of its text (never its parameters). */
const LOGGED_TEXT_CHARS = 300;

/**
 * A `pg.Client` that times every statement the app runs (`alluse_db_query_duration_seconds`) and
 * counts and logs those slower than `slowQueryMs`. The pool creates its connections with it
 * (`extra.Client`, which TypeORM hands to `new Pool()`), so every query through TypeORM, raw or
 * not, is seen. Only the promise form that TypeORM uses (`query(text, values)`) is timed; the
 * callback and streaming forms pass through untouched.
 */
export function timedClient(slowQueryMs: number): typeof Client {
  const logger = new Logger('Database');

  const record = (text: string, started: number) => {
    const ms = performance.now() - started;
    const operation = statementVerb(text);
    dbQueryDuration.observe({ operation }, ms / 1000);
    if (ms > slowQueryMs) {
      dbSlowQueries.inc({ operation });
      const shown = text.replace(/\s+/g, ' ').trim();
      logger.warn(
        `slow ${operation} (${Math.round(ms)} ms): ${shown.length > LOGGED_TEXT_CHARS ? `${shown.slice(0, LOGGED_TEXT_CHARS)}…` : shown}`,
      );
    }
  };

  return class TimedClient extends Client {
    // pg's query() has a dozen overloads; this one forwards them all and times the promise form.
    override query(...args: any[]): any {
      const [first, , callback] = args as [unknown, unknown, unknown];
      const text = typeof first === 'string' ? first : undefined;
      if (text === undefined || typeof callback === 'function' || typeof args[1] === 'function') {
        return (super.query as (...a: unknown[]) => unknown)(...args);
      }
      const started = performance.now();
      return (super.query as (...a: unknown[]) => Promise<QueryResult>)(...args).finally(() => record(text, started));
    }
  };
}
