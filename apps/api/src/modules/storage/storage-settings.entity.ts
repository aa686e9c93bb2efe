import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export enum StorageProvider {
  Local = 'local',
  Cos = 'cos',
}

/** The one row of storage settings an admin edits; absent until first saved (local defaults apply). */
@Entity('storage_settings')
@Check('CHK_storage_settings_single_row', `"id" = 1`)
export class StorageSettings {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  @Column({ type: 'enum', enum: StorageProvider, enumName: 'storage_provider' })
  provider: StorageProvider;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Use the built-in sandbox COS (credentials and domain are the sandbox's own). */
  @Column({ type: 'boolean', default: false })
  sandbox: boolean;

  /** AES-256-GCM, see SecretBox; never returned by the API. */
  @Column({ name: 'secret_id_encrypted', type: 'text', nullable: true })
  secretIdEncrypted: string | null;

  @Column({ name: 'secret_key_encrypted', type: 'text', nullable: true })
  secretKeyEncrypted: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  region: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  bucket: string | null;

  /** Custom domain (may be a template such as `host:port/sandbox/cos/{Bucket}`). */
  @Column({ type: 'varchar', length: 300, nullable: true })
  domain: string | null;

  @Column({ type: 'varchar', length: 6, default: 'https:' })
  protocol: string;

  @Column({ name: 'auto_upload', type: 'boolean', default: true })
  autoUpload: boolean;

  @Column({ name: 'allowed_types', type: 'text', array: true })
  allowedTypes: string[];

  @Column({ name: 'max_file_size', type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  maxFileSize: number;

  @Column({ name: 'base_path', type: 'varchar', length: 200 })
  basePath: string;

  @Column({ name: 'image_path', type: 'varchar', length: 200 })
  imagePath: string;

  @Column({ name: 'video_path', type: 'varchar', length: 200 })
  videoPath: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
