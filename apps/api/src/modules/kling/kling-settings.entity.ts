import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The one row of Kling settings; null columns are "untouched" and fall back to defaults (or the sandbox). */
@Entity('kling_settings')
export class KlingSettings {
  @PrimaryColumn({ type: 'smallint', default: 1, primaryKeyConstraintName: 'PK_kling_settings' })
  id: number;

  /** The AccessKey (the JWT's `iss`); not secret on its own, but returned only as "set". */
  @Column({ name: 'access_key', type: 'varchar', length: 200, nullable: true })
  accessKey: string | null;

  /** The SecretKey that signs the JWT, AES-256-GCM (SecretBox); never returned by the API. */
  @Column({ name: 'secret_key_encrypted', type: 'text', nullable: true })
  secretKeyEncrypted: string | null;

  /** `beijing` (China console keys), `singapore` (global console keys) or `custom` (baseUrl). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  region: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 300, nullable: true })
  baseUrl: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** How long one video may take before it fails and is refunded. */
  @Column({ name: 'timeout_seconds', type: 'integer', default: 3600 })
  timeoutSeconds: number;

  @Column({ name: 'max_concurrent_tasks', type: 'integer', default: 3 })
  maxConcurrentTasks: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
