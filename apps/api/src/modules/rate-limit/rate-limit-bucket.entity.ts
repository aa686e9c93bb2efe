import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One fixed-window counter. Kept in PostgreSQL so every API instance sees the same counts.
 */
@Entity('rate_limit_buckets')
export class RateLimitBucket {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  key: string;

  @PrimaryColumn({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  @Column({ type: 'integer', default: 0 })
  count: number;

  @Index('IDX_rate_limit_buckets_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
