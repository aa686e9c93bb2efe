import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The visible mark Volcengine puts on images (`logo_info` in GetResult's `req_json`, §5). */
export interface JimengWatermark {
  enabled: boolean;
  /** 0 bottom right, 1 bottom left, 2 top left, 3 top right. */
  position: number;
  /** 0 Chinese, 1 English. */
  language: number;
  opacity: number;
  text: string;
}

/** The implicit AIGC metadata (`aigc_meta` in GetResult's `req_json`, §4). */
export interface JimengAigcMeta {
  enabled: boolean;
  contentProducer: string;
  producerId: string;
  contentPropagator: string;
  propagateId: string;
}

/** The one row of Jimeng (Volcengine) settings; null columns are "untouched" and fall back to defaults (or the sandbox). */
@Entity('jimeng_settings')
export class JimengSettings {
  @PrimaryColumn({ type: 'smallint', default: 1, primaryKeyConstraintName: 'PK_jimeng_settings' })
  id: number;

  /** The AccessKeyId; not secret on its own, but returned only as saved. */
  @Column({ name: 'access_key_id', type: 'varchar', length: 200, nullable: true })
  accessKeyId: string | null;

  /** The SecretAccessKey that signs requests, AES-256-GCM (SecretBox); never returned by the API. */
  @Column({ name: 'secret_access_key_encrypted', type: 'text', nullable: true })
  secretAccessKeyEncrypted: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 300, nullable: true })
  baseUrl: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** How long one task may take before it fails and is refunded. */
  @Column({ name: 'timeout_seconds', type: 'integer', default: 3600 })
  timeoutSeconds: number;

  /** Volcengine's default concurrency per capability is 1–2 (§3.2): more wait, pending. */
  @Column({ name: 'max_concurrent_tasks', type: 'integer', default: 2 })
  maxConcurrentTasks: number;

  /** Model id → req_key, where an account needs another one (the 1080P suffixes differ, §7.8). */
  @Column({ name: 'req_key_overrides', type: 'jsonb', default: () => `'{}'` })
  reqKeyOverrides: Record<string, string>;

  @Column({ type: 'jsonb', nullable: true })
  watermark: JimengWatermark | null;

  @Column({ name: 'aigc_meta', type: 'jsonb', nullable: true })
  aigcMeta: JimengAigcMeta | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
