import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';
import { IngestService } from './ingest.service.js';
import { MediaFile } from './media-file.entity.js';
import { MediaFilesService } from './media-files.service.js';
import { FileMigrationJob } from './migration-job.entity.js';
import { MigrationService } from './migration.service.js';
import { StorageStatsService } from './stats.service.js';
import { StorageAdminController } from './storage-admin.controller.js';
import { StorageSettings } from './storage-settings.entity.js';
import { StorageSettingsService } from './storage-settings.service.js';
import { VideoFramesService } from './video/video-frames.service.js';

/** Storage settings and drivers, media files, ingest, migration and statistics. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([StorageSettings, MediaFile, FileMigrationJob])],
  controllers: [StorageAdminController, FilesController],
  providers: [StorageSettingsService, IngestService, MediaFilesService, MigrationService, StorageStatsService, FilesService, VideoFramesService],
  exports: [StorageSettingsService, IngestService, MediaFilesService, VideoFramesService],
})
export class StorageModule {}
