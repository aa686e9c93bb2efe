import { Injectable, NotFoundException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { say } from '../../common/language.js';
import type { User } from '../auth-sms/user.entity.js';
import type { ListMediaFilesQueryDto, MediaFileDto, MediaFilePageDto, MigrationJobDto, StartMigrationResultDto } from './dto/storage.dto.js';
import { IngestService } from './ingest.service.js';
import { MediaSource } from './media-file.entity.js';
import { mapMediaFile, MediaFilesService } from './media-files.service.js';
import { MigrationService } from './migration.service.js';
import { receiveFile } from './multipart.js';
import { StorageSettingsService } from './storage-settings.service.js';

/** What the files routes do, one call each. */
@Injectable()
export class FilesService {
  constructor(
    private readonly files: MediaFilesService,
    private readonly ingest: IngestService,
    private readonly migration: MigrationService,
    private readonly settings: StorageSettingsService,
  ) {}

  list(user: User, query: ListMediaFilesQueryDto): Promise<MediaFilePageDto> {
    return this.files.list(user.id, query);
  }

  get(user: User, id: string): Promise<MediaFileDto> {
    return this.files.get(user.id, id);
  }

  /** 404 for a file that is not the caller's, or no longer exists: as tasks and history answer. */
  async delete(user: User, id: string): Promise<void> {
    if (!(await this.files.delete(user.id, id))) throw new NotFoundException(say('File not found', '文件不存在'));
  }

  async upload(user: User, request: IncomingMessage): Promise<MediaFileDto> {
    const { maxFileSize } = await this.settings.effective();
    const file = await receiveFile(request, maxFileSize, (stream, filename) =>
      this.ingest.ingestStream(stream, { userId: user.id, source: MediaSource.Upload, originalFilename: filename }),
    );
    return mapMediaFile(file);
  }

  startMigration(user: User): Promise<StartMigrationResultDto> {
    return this.migration.start(user.id);
  }

  getMigration(jobId: string): Promise<MigrationJobDto> {
    return this.migration.get(jobId);
  }
}
