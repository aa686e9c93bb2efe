import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { StorageStatsDto } from './dto/storage.dto.js';
import { formatBytes } from '../../common/format.js';

const n = (value: unknown) => Number(value ?? 0);

@Injectable()
export class StorageStatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(): Promise<StorageStatsDto> {
    const q = (sql: string, params: unknown[] = []) => this.dataSource.query(sql, params);
    const [[totals], [physical], byKind, bySource, topUsers, days, failures] = await Promise.all([
      q(`SELECT count(*) AS total,
                count(*) FILTER (WHERE status = 'stored') AS stored,
                count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                coalesce(sum(size) FILTER (WHERE status = 'stored'), 0) AS bytes
           FROM media_files`),
      q(`SELECT coalesce(sum(size), 0) AS bytes
           FROM (SELECT DISTINCT ON (driver, key) size FROM media_files WHERE status = 'stored') objects`),
      q(`SELECT kind::text AS kind, count(*) AS count, coalesce(sum(size), 0) AS bytes
           FROM media_files WHERE status = 'stored' GROUP BY kind ORDER BY kind`),
      q(`SELECT source::text AS source, count(*) AS count, coalesce(sum(size), 0) AS bytes
           FROM media_files WHERE status = 'stored' GROUP BY source ORDER BY sum(size) DESC NULLS LAST, source`),
      q(`SELECT u.id AS user_id, u.name, u.email, u.phone, count(*) AS count, coalesce(sum(f.size), 0) AS bytes
           FROM media_files f JOIN users u ON u.id = f.user_id
          WHERE f.status = 'stored'
          GROUP BY u.id ORDER BY bytes DESC, u.id LIMIT 10`),
      // Calendar days in UTC, so every instance and the tests agree on day boundaries.
      q(`SELECT to_char(d.day, 'YYYY-MM-DD') AS date, count(f.id) AS count, coalesce(sum(f.size), 0) AS bytes
           FROM generate_series((now() AT TIME ZONE 'UTC')::date - 6, (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
           LEFT JOIN media_files f ON f.status = 'stored' AND (f.created_at AT TIME ZONE 'UTC')::date = d.day::date
          GROUP BY d.day ORDER BY d.day`),
      q(`SELECT id, filename, source::text AS source, source_url, error, created_at
           FROM media_files WHERE status = 'failed' ORDER BY updated_at DESC, id LIMIT 20`),
    ]);
    const stored = n(totals.stored);
    const failed = n(totals.failed);
    return {
      totalBytes: n(totals.bytes),
      totalSize: formatBytes(n(totals.bytes)),
      storedBytes: n(physical.bytes),
      totalFiles: n(totals.total),
      storedFiles: stored,
      pendingFiles: n(totals.pending),
      failedFiles: failed,
      successRate: stored + failed === 0 ? 1 : stored / (stored + failed),
      byKind: byKind.map((r: Record<string, unknown>) => ({ kind: r.kind as string | null, count: n(r.count), bytes: n(r.bytes) })),
      bySource: bySource.map((r: Record<string, unknown>) => ({ source: r.source as string, count: n(r.count), bytes: n(r.bytes) })),
      topUsers: topUsers.map((r: Record<string, unknown>) => ({
        userId: r.user_id as string,
        name: r.name as string,
        email: (r.email as string) ?? null,
        phone: (r.phone as string) ?? null,
        count: n(r.count),
        bytes: n(r.bytes),
      })),
      last7Days: days.map((r: Record<string, unknown>) => ({ date: r.date as string, count: n(r.count), bytes: n(r.bytes) })),
      recentFailures: failures.map((r: Record<string, unknown>) => ({
        id: r.id as string,
        filename: r.filename as string,
        source: r.source as string,
        sourceUrl: (r.source_url as string) ?? null,
        error: (r.error as string) ?? 'unknown error',
        createdAt: (r.created_at as Date).toISOString(),
      })),
    };
  }
}
