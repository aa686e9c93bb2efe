import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { say } from '../../common/language.js';
import { containsPattern } from '../../common/validation.js';
import type { ListMediaFilesQueryDto, MediaFileDto, MediaFilePageDto } from './dto/storage.dto.js';
import { MediaFile, StorageDriverName } from './media-file.entity.js';
import { StorageSettingsService } from './storage-settings.service.js';

export function mapMediaFile(file: MediaFile): MediaFileDto {
  const prompt = typeof file.metadata?.prompt === 'string' ? file.metadata.prompt : null;
  return {
    id: file.id,
    filename: file.filename,
    originalFilename: file.originalFilename,
    kind: file.kind,
    mimeType: file.mimeType,
    size: file.size,
    width: file.width,
    height: file.height,
    duration: file.duration,
    durationSeconds: file.duration,
    url: file.url,
    thumbnailUrl: file.thumbnailUrl,
    posterUrl: file.posterUrl,
    source: file.source,
    sourceTaskId: file.sourceTaskId,
    prompt,
    status: file.status,
    error: file.error,
    createdAt: file.createdAt.toISOString(),
  };
}

/** A user's files: listing, reading and deleting, always within the caller's own records. */
@Injectable()
export class MediaFilesService {
  private readonly logger = new Logger(MediaFilesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: StorageSettingsService,
  ) {}

  async list(userId: string, query: ListMediaFilesQueryDto): Promise<MediaFilePageDto> {
    const limit = query.limit ?? 30;
    const builder = this.dataSource
      .getRepository(MediaFile)
      .createQueryBuilder('file')
      .where('file.user_id = :userId', { userId })
      .orderBy('file.created_at', 'DESC')
      .addOrderBy('file.id', 'DESC')
      .take(limit + 1);
    // A mask painted in a studio (Midjourney's Vary (Region), Jimeng's inpainting; stored with a
    // `*-mask` purpose) is an input of its task, not a picture of the user's: My files leaves it out.
    builder.andWhere(`coalesce(file.metadata->>'purpose', '') NOT LIKE '%-mask'`);
    if (query.kind) builder.andWhere('file.kind = :kind', { kind: query.kind });
    if (query.source) builder.andWhere('file.source = :source', { source: query.source });
    const search = query.search?.trim();
    if (search) {
      const pattern = containsPattern(search);
      builder.andWhere(
        new Brackets((where) =>
          where
            .where('file.filename ILIKE :pattern', { pattern })
            .orWhere('file.original_filename ILIKE :pattern', { pattern })
            .orWhere(`file.metadata->>'prompt' ILIKE :pattern`, { pattern }),
        ),
      );
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      builder.andWhere('(file.created_at, file.id) < (:createdAt, :id)', cursor);
    }
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    return { items: items.map(mapMediaFile), nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null };
  }

  async get(userId: string, id: string): Promise<MediaFileDto> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id, userId });
    if (!file) throw new NotFoundException(say('File not found', '文件不存在'));
    return mapMediaFile(file);
  }

  /**
   * Deletes one of the user's files; answers whether there was one to delete. A file that is
   * already gone (or not the caller's) changes nothing, so a history deletion racing it still ends.
   */
  async delete(userId: string, id: string): Promise<boolean> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id, userId });
    if (!file) return false;
    await this.dataSource.transaction(async (manager) => {
      if (file.driver && file.sha256) {
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`media-object:${file.driver}:${file.sha256}`]);
      }
      await manager.delete(MediaFile, { id: file.id });
      if (!file.driver) return;
      // A small image is its own thumbnail, a video's poster is its thumbnail: one object, deleted once.
      for (const key of new Set([file.key, file.thumbnailKey, file.posterKey])) {
        if (!key) continue;
        const [{ used }] = await manager.query(
          `SELECT count(*)::int AS used FROM media_files WHERE driver = $1 AND (key = $2 OR thumbnail_key = $2 OR poster_key = $2)`,
          [file.driver, key],
        );
        // The object goes only with its last record.
        if (used === 0) await this.deleteObject(file.driver, key);
      }
    });
    return true;
  }

  private async deleteObject(driverName: StorageDriverName, key: string): Promise<void> {
    try {
      const driver = await this.settings.driverFor(driverName);
      await driver.delete(key);
    } catch (error) {
      // The record is gone either way; an orphaned object costs space, not correctness.
      this.logger.warn(`Could not delete ${driverName}:${key}: ${(error as Error).message}`);
    }
  }
}
