import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, MoreThan, Not } from 'typeorm';
import type { MigrationJobDto } from './dto/storage.dto.js';
import { IngestService } from './ingest.service.js';
import { MediaFile, MediaStatus } from './media-file.entity.js';
import { FileMigrationJob, type MigrationFailure, MigrationJobStatus } from './migration-job.entity.js';

const BATCH_SIZE = 10;
const MAX_KEPT_FAILURES = 200;

function mapJob(job: FileMigrationJob): MigrationJobDto {
  return {
    id: job.id,
    status: job.status,
    total: job.total,
    done: job.done,
    failed: job.failed,
    failures: job.failures,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Copies every file that still points outside our storage into it, in the background and in
 * batches. Each file is claimed with a transaction-scoped advisory lock and re-read, so two runs
 * (or two instances) never copy the same file twice, and a stored file is never touched again.
 */
@Injectable()
export class MigrationService {
  private readonly logger = new Logger(MigrationService.name);
  private readonly running = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingest: IngestService,
  ) {}

  private outsideStorage() {
    return { status: In([MediaStatus.Pending, MediaStatus.Failed]), sourceUrl: Not(IsNull()) };
  }

  async start(startedBy: string): Promise<{ jobId: string }> {
    const total = await this.dataSource.getRepository(MediaFile).countBy(this.outsideStorage());
    const job = await this.dataSource.getRepository(FileMigrationJob).save({ total, startedBy, failures: [] });
    const run = this.run(job.id).catch((error) => this.logger.error(`Migration ${job.id} stopped: ${error}`));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return { jobId: job.id };
  }

  async get(jobId: string): Promise<MigrationJobDto> {
    const job = await this.dataSource.getRepository(FileMigrationJob).findOneBy({ id: jobId });
    if (!job) throw new NotFoundException('Migration job not found');
    return mapJob(job);
  }

  /** Resolves when every migration started by this instance has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private async run(jobId: string): Promise<void> {
    const jobs = this.dataSource.getRepository(FileMigrationJob);
    let lastId = '00000000-0000-0000-0000-000000000000';
    try {
      for (;;) {
        const batch = await this.dataSource.getRepository(MediaFile).find({
          where: { ...this.outsideStorage(), id: MoreThan(lastId) },
          order: { id: 'ASC' },
          take: BATCH_SIZE,
          select: { id: true },
        });
        if (batch.length === 0) break;
        lastId = batch[batch.length - 1].id;
        for (const { id } of batch) {
          const outcome = await this.migrateOne(id);
          if (outcome === 'skipped') continue;
          await this.dataSource.query(
            outcome === 'done'
              ? `UPDATE file_migration_jobs SET done = done + 1 WHERE id = $1`
              : `UPDATE file_migration_jobs SET failed = failed + 1,
                   failures = CASE WHEN jsonb_array_length(failures) < $3 THEN failures || $2::jsonb ELSE failures END
                 WHERE id = $1`,
            outcome === 'done' ? [jobId] : [jobId, JSON.stringify([outcome]), MAX_KEPT_FAILURES],
          );
        }
      }
      await jobs.update({ id: jobId }, { status: MigrationJobStatus.Finished, finishedAt: new Date() });
    } catch (error) {
      await jobs.update({ id: jobId }, { status: MigrationJobStatus.Failed, finishedAt: new Date() });
      throw error;
    }
  }

  private async migrateOne(id: string): Promise<'done' | 'skipped' | MigrationFailure> {
    return this.dataSource.transaction(async (manager) => {
      const [{ claimed }] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS claimed', [`media-migrate:${id}`]);
      if (!claimed) return 'skipped';
      const record = await manager.findOneBy(MediaFile, { id });
      if (!record || record.status === MediaStatus.Stored || !record.sourceUrl) return 'skipped';
      const url = record.sourceUrl;
      try {
        await this.ingest.copyIntoStorage(record);
        return 'done';
      } catch (error) {
        return { fileId: id, url, reason: (error as Error).message };
      }
    });
  }
}
