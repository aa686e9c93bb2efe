import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The one row of Flux settings; null columns are "untouched" and fall back to defaults (or the sandbox). */
@Entity('flux_settings')
export class FluxSettings {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  /** AES-256-GCM (SecretBox); never returned by the API. */
  @Column({ name: 'api_key_encrypted', type: 'text', nullable: true })
  apiKeyEncrypted: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 300, nullable: true })
  baseUrl: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** How long one generation may take before it fails and is refunded. */
  @Column({ name: 'timeout_seconds', type: 'integer', default: 900 })
  timeoutSeconds: number;

  @Column({ name: 'max_concurrent_tasks', type: 'integer', default: 4 })
  maxConcurrentTasks: number;

  @Column({ name: 'default_model', type: 'varchar', length: 120, nullable: true })
  defaultModel: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
