import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../auth-sms/user.entity.js';

export enum MediaKind {
  Image = 'image',
  Video = 'video',
}

export enum MediaSource {
  Flux = 'flux',
  Midjourney = 'midjourney',
  Kling = 'kling',
  Jimeng = 'jimeng',
  Upload = 'upload',
  Migration = 'migration',
}

export enum MediaStatus {
  Pending = 'pending',
  Stored = 'stored',
  Failed = 'failed',
}

export enum StorageDriverName {
  Local = 'local',
  Cos = 'cos',
}

const bigintNumber = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * Every file Atelier keeps. Records with identical bytes on the same driver share one object
 * (same key); the object goes when its last record goes.
 */
@Entity('media_files')
@Index('IDX_media_files_user_created', ['userId', 'createdAt'])
@Index('IDX_media_files_driver_sha256', ['driver', 'sha256'])
@Index('IDX_media_files_driver_key', ['driver', 'key'])
@Index('IDX_media_files_status', ['status'])
// A task's output i is recorded once, however often storing it is retried or taken over.
@Index('UQ_media_files_task_output', ['sourceTaskId', 'outputIndex'], { unique: true })
export class MediaFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_media_files_user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 255 })
  filename: string;

  @Column({ name: 'original_filename', type: 'varchar', length: 255, nullable: true })
  originalFilename: string | null;

  @Column({ type: 'enum', enum: MediaKind, enumName: 'media_kind', nullable: true })
  kind: MediaKind | null;

  @Column({ name: 'mime_type', type: 'varchar', length: 100, nullable: true })
  mimeType: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  size: number | null;

  @Column({ type: 'char', length: 64, nullable: true })
  sha256: string | null;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  /** Seconds, when known. */
  @Column({ type: 'double precision', nullable: true })
  duration: number | null;

  @Column({ type: 'enum', enum: StorageDriverName, enumName: 'storage_driver_name', nullable: true })
  driver: StorageDriverName | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  key: string | null;

  /** Where clients fetch the file: always ours once stored. */
  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Column({ name: 'thumbnail_key', type: 'varchar', length: 500, nullable: true })
  thumbnailKey: string | null;

  @Column({ name: 'thumbnail_url', type: 'text', nullable: true })
  thumbnailUrl: string | null;

  /** Videos: a frame as a JPEG within 512 px (also the thumbnail), made by ffmpeg when stored. */
  @Column({ name: 'poster_key', type: 'varchar', length: 500, nullable: true })
  posterKey: string | null;

  @Column({ name: 'poster_url', type: 'text', nullable: true })
  posterUrl: string | null;

  /** The outside URL a pending file is copied from; cleared once stored. */
  @Column({ name: 'source_url', type: 'text', nullable: true })
  sourceUrl: string | null;

  @Column({ type: 'enum', enum: MediaSource, enumName: 'media_source' })
  source: MediaSource;

  @Column({ name: 'source_task_id', type: 'uuid', nullable: true })
  sourceTaskId: string | null;

  /** Position among its task's outputs. */
  @Column({ name: 'output_index', type: 'integer', nullable: true })
  outputIndex: number | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  metadata: Record<string, unknown>;

  @Column({ type: 'enum', enum: MediaStatus, enumName: 'media_status', default: MediaStatus.Pending })
  status: MediaStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Milliseconds, like the JavaScript dates that carry it in page cursors, so no row falls between two pages. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
