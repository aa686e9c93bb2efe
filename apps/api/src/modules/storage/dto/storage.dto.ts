import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsEnum, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { MediaKind, MediaSource, MediaStatus } from '../media-file.entity.js';
import { StorageProvider } from '../storage-settings.entity.js';
import { CursorPageQueryDto } from '../../../common/page-query.dto.js';
import { Optional } from '../../../common/validation.js';

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
export const ALLOWED_TYPE_CHOICES = ['image/*', 'video/*'] as const;
// Folder names each ending with '/'; '.' and '..' are not folder names.
const PATH_RULE = /^(?:(?!\.{1,2}\/)[A-Za-z0-9._-]+\/)*$/;

export class StorageConfigDto {
  @ApiProperty({ enum: StorageProvider, enumName: 'StorageProvider' })
  provider: StorageProvider;

  @ApiProperty({ description: 'Whether the chosen provider is used; when false, new files go to local storage' })
  enabled: boolean;

  @ApiProperty({ description: 'Whether the built-in sandbox COS is used (sandbox mode only)' })
  sandbox: boolean;

  @ApiProperty({ description: 'Whether a SecretId is stored (never returned)' })
  secretIdSet: boolean;

  @ApiProperty({ description: 'Whether a SecretKey is stored (never returned)' })
  secretKeySet: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'ap-guangzhou' })
  region: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'media-1250000000' })
  bucket: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'static.example.com' })
  domain: string | null;

  @ApiProperty({ enum: ['http:', 'https:'] })
  protocol: string;

  @ApiProperty({ description: 'Copy provider results into storage automatically (otherwise they stay pending until migrated)' })
  autoUpload: boolean;

  @ApiProperty({ type: [String], example: ['image/*', 'video/*'] })
  allowedTypes: string[];

  @ApiProperty({ description: 'Largest file in bytes', example: 104857600 })
  maxFileSize: number;

  @ApiProperty({ example: 'generated/' })
  basePath: string;

  @ApiProperty({ example: 'images/' })
  imagePath: string;

  @ApiProperty({ example: 'videos/' })
  videoPath: string;

  @ApiProperty({ enum: StorageProvider, enumName: 'StorageProvider', description: 'Where new files go right now' })
  activeDriver: StorageProvider;

  @ApiProperty()
  sandboxAvailable: boolean;

  @ApiProperty({ description: 'False until an admin saves these settings (defaults apply)' })
  saved: boolean;
}

export class SaveStorageConfigDto {
  @ApiProperty({ enum: StorageProvider, enumName: 'StorageProvider' })
  @IsEnum(StorageProvider, { message: `provider must be one of: ${Object.values(StorageProvider).join(', ')}` })
  provider: StorageProvider;

  @ApiProperty()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled: boolean;

  @ApiPropertyOptional({ description: 'Use the built-in sandbox COS (only in sandbox mode); its credentials are filled in' })
  @Optional()
  @IsBoolean()
  sandbox?: boolean;

  @ApiPropertyOptional({ description: 'Leave empty to keep the stored SecretId', maxLength: 200 })
  @Optional()
  @trim
  @IsString()
  @MaxLength(200)
  secretId?: string;

  @ApiPropertyOptional({ format: 'password', description: 'Leave empty to keep the stored SecretKey', maxLength: 200 })
  @Optional()
  @trim
  @IsString()
  @MaxLength(200)
  secretKey?: string;

  // Patterns written out: class-validator's are not copied into the document for trimmed fields.
  @ApiPropertyOptional({ example: 'ap-guangzhou', pattern: '^(?!cos\\.)[a-z\\d-]+$' })
  @Optional()
  @trim
  @Matches(/^(?!cos\.)[a-z\d-]+$/, { message: 'region must look like ap-guangzhou' })
  region?: string;

  @ApiPropertyOptional({ example: 'media-1250000000', description: 'name-appid', pattern: '^[a-z\\d-]+-\\d+$' })
  @Optional()
  @trim
  @Matches(/^[a-z\d-]+-\d+$/, { message: 'bucket must be name-appid, e.g. media-1250000000' })
  bucket?: string;

  @ApiPropertyOptional({
    example: 'static.example.com',
    description: 'Custom domain bound to the bucket; empty for the default COS domain',
    pattern: '^$|^[A-Za-z0-9.-]+(:\\d+)?(\\/[A-Za-z0-9._{}\\/-]*)?$',
  })
  @Optional()
  @trim
  @IsString()
  @MaxLength(300)
  @Matches(/^$|^[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._{}\/-]*)?$/, { message: 'domain must be a host name such as static.example.com (no scheme)' })
  domain?: string;

  @ApiPropertyOptional({ enum: ['http:', 'https:'] })
  @Optional()
  @IsIn(['http:', 'https:'], { message: 'protocol must be http: or https:' })
  protocol?: 'http:' | 'https:';

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  autoUpload?: boolean;

  @ApiPropertyOptional({ type: [String], enum: ALLOWED_TYPE_CHOICES })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsIn(ALLOWED_TYPE_CHOICES, { each: true, message: 'allowedTypes may contain image/* and video/*' })
  allowedTypes?: string[];

  @ApiPropertyOptional({ minimum: 1024, maximum: 5368709120, description: 'Bytes' })
  @Optional()
  @IsInt()
  @Min(1024)
  @Max(5 * 1024 * 1024 * 1024)
  maxFileSize?: number;

  @ApiPropertyOptional({ example: 'generated/' })
  @Optional()
  @trim
  @MaxLength(200)
  @Matches(PATH_RULE, { message: 'basePath must be folder names each ending with /, e.g. generated/ (or empty)' })
  basePath?: string;

  @ApiPropertyOptional({ example: 'images/' })
  @Optional()
  @trim
  @MaxLength(200)
  @Matches(PATH_RULE, { message: 'imagePath must be folder names each ending with /, e.g. images/ (or empty)' })
  imagePath?: string;

  @ApiPropertyOptional({ example: 'videos/' })
  @Optional()
  @trim
  @MaxLength(200)
  @Matches(PATH_RULE, { message: 'videoPath must be folder names each ending with /, e.g. videos/ (or empty)' })
  videoPath?: string;
}

/** The connection fields of the admin form, tested before (or without) saving them. */
export class CheckStorageConfigDto extends PickType(SaveStorageConfigDto, ['provider', 'sandbox', 'secretId', 'secretKey', 'region', 'bucket', 'domain', 'protocol'] as const) {}

export class StorageTestResultDto {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ enum: StorageProvider, enumName: 'StorageProvider' })
  provider: StorageProvider;

  @ApiProperty({ type: String, nullable: true, enum: ['credentials', 'bucket', 'region', 'network', 'missing', 'config', 'other'] })
  reason: string | null;

  @ApiProperty({ description: 'What happened, in plain words' })
  message: string;
}

export class MediaFileDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  filename: string;

  @ApiProperty({ type: String, nullable: true })
  originalFilename: string | null;

  @ApiProperty({ enum: MediaKind, enumName: 'MediaKind', nullable: true })
  kind: MediaKind | null;

  @ApiProperty({ type: String, nullable: true })
  mimeType: string | null;

  @ApiProperty({ type: Number, nullable: true })
  size: number | null;

  @ApiProperty({ type: Number, nullable: true })
  width: number | null;

  @ApiProperty({ type: Number, nullable: true })
  height: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds' })
  duration: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Our URL of the file (null until stored)' })
  url: string | null;

  @ApiProperty({ type: String, nullable: true })
  thumbnailUrl: string | null;

  @ApiProperty({ enum: MediaSource, enumName: 'MediaSource' })
  source: MediaSource;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  sourceTaskId: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The prompt that produced the file, when there is one' })
  prompt: string | null;

  @ApiProperty({ enum: MediaStatus, enumName: 'MediaStatus' })
  status: MediaStatus;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class MediaFilePageDto {
  @ApiProperty({ type: () => [MediaFileDto] })
  items: MediaFileDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor to get the next page; null at the end' })
  nextCursor: string | null;
}

export class ListMediaFilesQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: MediaKind, enumName: 'MediaKind' })
  @IsOptional()
  @IsEnum(MediaKind, { message: `kind must be one of: ${Object.values(MediaKind).join(', ')}` })
  kind?: MediaKind;

  @ApiPropertyOptional({ enum: MediaSource, enumName: 'MediaSource' })
  @IsOptional()
  @IsEnum(MediaSource, { message: `source must be one of: ${Object.values(MediaSource).join(', ')}` })
  source?: MediaSource;

  @ApiPropertyOptional({ description: 'Matches the file name or the prompt', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
}

export class StartMigrationResultDto {
  @ApiProperty({ format: 'uuid' })
  jobId: string;
}

export class MigrationFailureDto {
  @ApiProperty({ format: 'uuid' })
  fileId: string;

  @ApiProperty({ type: String, nullable: true })
  url: string | null;

  @ApiProperty()
  reason: string;
}

export class MigrationJobDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['running', 'finished', 'failed'] })
  status: string;

  @ApiProperty()
  total: number;

  @ApiProperty()
  done: number;

  @ApiProperty()
  failed: number;

  @ApiProperty({ type: () => [MigrationFailureDto] })
  failures: MigrationFailureDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  finishedAt: string | null;
}

export class JobIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'jobId must be a UUID' })
  jobId: string;
}

export class CountBytesDto {
  @ApiProperty()
  count: number;

  @ApiProperty()
  bytes: number;
}

export class KindBreakdownDto extends CountBytesDto {
  @ApiProperty({ type: String, nullable: true })
  kind: string | null;
}

export class SourceBreakdownDto extends CountBytesDto {
  @ApiProperty()
  source: string;
}

export class TopUserDto extends CountBytesDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, nullable: true })
  email: string | null;

  @ApiProperty({ type: String, nullable: true })
  phone: string | null;
}

export class DailyUploadsDto extends CountBytesDto {
  @ApiProperty({ example: '2026-11-21' })
  date: string;
}

export class RecentFailureDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  filename: string;

  @ApiProperty()
  source: string;

  @ApiProperty({ type: String, nullable: true })
  sourceUrl: string | null;

  @ApiProperty()
  error: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class StorageStatsDto {
  @ApiProperty({ description: 'Bytes of all stored file records' })
  totalBytes: number;

  @ApiProperty({ example: '1.5 GB' })
  totalSize: string;

  @ApiProperty({ description: 'Bytes actually kept, identical files counted once per driver' })
  storedBytes: number;

  @ApiProperty()
  totalFiles: number;

  @ApiProperty()
  storedFiles: number;

  @ApiProperty()
  pendingFiles: number;

  @ApiProperty()
  failedFiles: number;

  @ApiProperty({ description: 'stored / (stored + failed), 0..1; 1 when nothing was attempted' })
  successRate: number;

  @ApiProperty({ type: () => [KindBreakdownDto] })
  byKind: KindBreakdownDto[];

  @ApiProperty({ type: () => [SourceBreakdownDto] })
  bySource: SourceBreakdownDto[];

  @ApiProperty({ type: () => [TopUserDto] })
  topUsers: TopUserDto[];

  @ApiProperty({ type: () => [DailyUploadsDto], description: 'The last 7 days, oldest first, days without files included' })
  last7Days: DailyUploadsDto[];

  @ApiProperty({ type: () => [RecentFailureDto] })
  recentFailures: RecentFailureDto[];
}
