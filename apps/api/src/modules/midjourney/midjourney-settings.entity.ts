import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The one row of Midjourney settings; null columns are "untouched" and fall back to defaults (or the sandbox). */
@Entity('midjourney_settings')
export class MidjourneySettings {
  @PrimaryColumn({ type: 'smallint', default: 1, primaryKeyConstraintName: 'PK_midjourney_settings' })
  id: number;

  /** The proxy's secret (novicezk `mj-api-secret`, trueai user token), AES-256-GCM (SecretBox); never returned. */
  @Column({ name: 'api_secret_encrypted', type: 'text', nullable: true })
  apiSecretEncrypted: string | null;

  /** The midjourney-proxy deployment, e.g. http://mj-proxy:8080 (routes are under /mj). */
  @Column({ name: 'base_url', type: 'varchar', length: 300, nullable: true })
  baseUrl: string | null;

  /** `trueai` (buttons, modal, cancel) or `novicezk` (the open-source subset). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  flavor: string | null;

  /** trueai speed mode: fast, relax or turbo (the `/mj-{mode}` prefix). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  mode: string | null;

  @Column({ name: 'default_bot_type', type: 'varchar', length: 16, nullable: true })
  defaultBotType: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'max_concurrent_tasks', type: 'integer', default: 3 })
  maxConcurrentTasks: number;

  /** How long one generation may take before it fails and is refunded. */
  @Column({ name: 'timeout_seconds', type: 'integer', default: 900 })
  timeoutSeconds: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
