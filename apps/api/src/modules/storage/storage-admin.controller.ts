import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { Authenticated } from '../auth-sms/authenticated.decorator.js';
import { CheckStorageConfigDto, SaveStorageConfigDto, StorageConfigDto, StorageStatsDto, StorageTestResultDto } from './dto/storage.dto.js';
import { StorageStatsService } from './stats.service.js';
import { StorageSettingsService } from './storage-settings.service.js';

@ApiTags('Admin')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('storage')
export class StorageAdminController {
  constructor(
    private readonly settings: StorageSettingsService,
    private readonly statistics: StorageStatsService,
  ) {}

  @Get('config')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Storage settings (secrets are never returned, only whether they are set)' })
  @ApiOkResponse({ type: StorageConfigDto })
  getStorageConfig(): Promise<StorageConfigDto> {
    return this.settings.getConfig();
  }

  @Post('config')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Save storage settings; empty secrets keep the stored ones. New files follow the new settings; old files keep working.' })
  @ApiOkResponse({ type: StorageConfigDto })
  saveStorageConfig(@Body() dto: SaveStorageConfigDto): Promise<StorageConfigDto> {
    return this.settings.saveConfig(dto);
  }

  @Post('config/check')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({
    summary: 'Test connection settings before saving them: COS heads the bucket, then writes and deletes a probe file',
    description: 'The same rules as saving: an empty secretId or secretKey means the stored one, a field left out the saved value. Nothing is saved.',
  })
  @ApiOkResponse({ type: StorageTestResultDto })
  checkStorageConfig(@Body() dto: CheckStorageConfigDto): Promise<StorageTestResultDto> {
    return this.settings.check(dto);
  }

  @Post('test')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Test the saved storage settings: COS heads the bucket, then writes and deletes a probe file' })
  @ApiOkResponse({ type: StorageTestResultDto })
  testStorage(): Promise<StorageTestResultDto> {
    return this.settings.test();
  }

  @Get('stats')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Storage statistics: totals, breakdowns, top users, the last 7 days and recent failures' })
  @ApiOkResponse({ type: StorageStatsDto })
  getStorageStats(): Promise<StorageStatsDto> {
    return this.statistics.stats();
  }
}
