import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum MigrationJobStatus {
  Running = 'running',
  Finished = 'finished',
  Failed = 'failed',
}

export interface MigrationFailure {
  fileId: string;
  url: string | null;
  reason: string;
}

/** A run of the external-URL migration tool. */
@Entity('file_migration_jobs')
export class FileMigrationJob {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'enum', enum: MigrationJobStatus, enumName: 'file_migration_job_status', default: MigrationJobStatus.Running })
  status: MigrationJobStatus;

  @Column({ type: 'integer', default: 0 })
  total: number;

  @Column({ type: 'integer', default: 0 })
  done: number;

  @Column({ type: 'integer', default: 0 })
  failed: number;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  failures: MigrationFailure[];

  @Column({ name: 'started_by', type: 'uuid', nullable: true })
  startedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
