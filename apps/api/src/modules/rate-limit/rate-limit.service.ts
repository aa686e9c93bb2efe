import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface RateLimitState {
  count: number;
  /** Seconds until the current window ends. */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in PostgreSQL. Windows are aligned on the database clock, so several
 * API instances share one count per key and window.
 */
@Injectable()
export class RateLimitService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Counts one event and returns the count in the current window, this event included. */
  async hit(key: string, windowSeconds: number): Promise<RateLimitState> {
    const rows: Array<{ count: number; retry_after: number }> = await this.dataSource.query(
      `WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM now()) / $2) * $2) AS start)
       INSERT INTO rate_limit_buckets (key, window_start, count, expires_at)
       SELECT $1, w.start, 1, w.start + make_interval(secs => $2) FROM w
       ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + 1
       RETURNING count, greatest(1, ceil(extract(epoch FROM expires_at - now())))::int AS retry_after`,
      [key, windowSeconds],
    );
    return { count: rows[0].count, retryAfterSeconds: rows[0].retry_after };
  }

  /** Reads the count of the current window without counting anything. */
  async peek(key: string, windowSeconds: number): Promise<RateLimitState> {
    const rows: Array<{ count: number; retry_after: number }> = await this.dataSource.query(
      `SELECT count, greatest(1, ceil(extract(epoch FROM expires_at - now())))::int AS retry_after
         FROM rate_limit_buckets
        WHERE key = $1 AND window_start = to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)`,
      [key, windowSeconds],
    );
    return rows.length ? { count: rows[0].count, retryAfterSeconds: rows[0].retry_after } : { count: 0, retryAfterSeconds: 0 };
  }

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'rate-limit-purge' })
  async purgeExpired(): Promise<number> {
    const result = await this.dataSource.query(`DELETE FROM rate_limit_buckets WHERE expires_at < now()`);
    return result[1] ?? 0;
  }
}
