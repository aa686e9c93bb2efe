import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { IdParamDto } from '../../common/id-param.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { JobIdParamDto, ListMediaFilesQueryDto, MediaFileDto, MediaFilePageDto, MigrationJobDto, StartMigrationResultDto } from './dto/storage.dto.js';
import { FilesService } from './files.service.js';

@ApiTags('Files')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('files')
export class FilesController {
  constructor(private readonly service: FilesService) {}

  @Get('generated')
  @Authenticated()
  @ApiOperation({ summary: 'My files, newest first; filter by kind and source, search by file name or prompt, cursor pagination' })
  @ApiOkResponse({ type: MediaFilePageDto })
  listMyFiles(@Auth() auth: AuthContext, @Query() query: ListMediaFilesQueryDto): Promise<MediaFilePageDto> {
    return this.service.list(auth.user, query);
  }

  @Get('generated/:id')
  @Authenticated()
  @ApiOperation({ summary: 'One of my files' })
  @ApiOkResponse({ type: MediaFileDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getMyFile(@Auth() auth: AuthContext, @Param() { id }: IdParamDto): Promise<MediaFileDto> {
    return this.service.get(auth.user, id);
  }

  @Delete('generated/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Delete one of my files; the stored object goes with its last record' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such file of mine (never mine, or already deleted)' })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The storage failed (e.g. COS refused the keys)' })
  deleteMyFile(@Auth() auth: AuthContext, @Param() { id }: IdParamDto): Promise<void> {
    return this.service.delete(auth.user, id);
  }

  @Post('upload')
  @Authenticated()
  @ApiOperation({ summary: 'Upload an image or video (multipart field "file"); the type is decided by the file’s content' })
  @ApiConsumes('multipart/form-data')
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The storage failed (e.g. COS refused the keys)' })
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: MediaFileDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponseDto })
  uploadFile(@Auth() auth: AuthContext, @Req() request: Request): Promise<MediaFileDto> {
    return this.service.upload(auth.user, request);
  }

  @Post('migrate')
  @HttpCode(202)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Copy every file still pointing outside our storage into it, in the background; idempotent' })
  @ApiAcceptedResponse({ type: StartMigrationResultDto })
  startFileMigration(@Auth() auth: AuthContext): Promise<StartMigrationResultDto> {
    return this.service.startMigration(auth.user);
  }

  @Get('migrate/:jobId')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Progress of a migration: total, done, failed and the reasons' })
  @ApiOkResponse({ type: MigrationJobDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getFileMigration(@Param() { jobId }: JobIdParamDto): Promise<MigrationJobDto> {
    return this.service.getMigration(jobId);
  }
}
