import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ProviderConfigRoutes, ProviderSubmitErrors } from '../scheduler/provider-config-routes.js';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { MediaFileDto } from '../storage/dto/storage.dto.js';
import {
  CheckKlingConfigDto,
  KlingConfigDto,
  KlingHealthDto,
  KlingHistoryQueryDto,
  KlingImageToVideoDto,
  KlingModelsDto,
  KlingTaskIdParamDto,
  KlingTextToVideoDto,
  KlingUserConfigDto,
  SaveKlingConfigDto,
} from './dto/kling.dto.js';
import { KlingSettingsService } from './kling-settings.service.js';
import { KlingService } from './kling.service.js';

/** What a submission may answer besides the task. */
const SubmitErrors = () =>
  ProviderSubmitErrors({
    badRequest: 'A field does not fit the model (details name it and what is allowed), an input image breaks Kling\'s rules, or Kling refused the request (refunded)',
    badGateway: 'Kling refused for its own reasons, e.g. no balance on the account (refunded)',
    unavailable: 'Kling is turned off or not set up',
  });

@ApiTags('Kling')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid input: details name each field' })
@Controller('kling')
export class KlingController {
  constructor(
    private readonly kling: KlingService,
    private readonly settings: KlingSettingsService,
  ) {}

  @ProviderConfigRoutes.get('Kling settings (the SecretKey is never returned)', KlingConfigDto)
  getKlingConfig(): Promise<KlingConfigDto> {
    return this.settings.getConfig();
  }

  @ProviderConfigRoutes.save('Change Kling settings; empty keys keep the stored ones', KlingConfigDto)
  saveKlingConfig(@Body() dto: SaveKlingConfigDto): Promise<KlingConfigDto> {
    return this.settings.saveConfig(dto);
  }

  @ProviderConfigRoutes.check(
    'Check keys, region and base URL before saving them (one task-list query: spends nothing)',
    'The same rules as saving: empty keys mean the stored ones. Nothing is saved.',
    KlingHealthDto,
  )
  checkKlingConfig(@Body() dto: CheckKlingConfigDto): Promise<KlingHealthDto> {
    return this.kling.checkCandidate(dto);
  }

  @ProviderConfigRoutes.user('Whether Kling can be used, its default model, and whether it is the sandbox', KlingUserConfigDto)
  getKlingUserConfig(): Promise<KlingUserConfigDto> {
    return this.kling.userConfig();
  }

  @Get('models')
  @Authenticated()
  @ApiOperation({ summary: 'The Kling video models with what each takes and its prices per mode and duration' })
  @ApiOkResponse({ type: KlingModelsDto })
  getKlingModels(): Promise<KlingModelsDto> {
    return this.kling.models();
  }

  @Post('text-to-video')
  @Authenticated()
  @ApiOperation({ summary: 'Make a video from a prompt; reserves the price and answers with the task' })
  @ApiBody({
    type: KlingTextToVideoDto,
    examples: {
      v26: { summary: 'Kling 2.6, pro, 10 s with sound', value: { model: 'kling-v2-6', prompt: 'a paper boat drifting down a rainy street', mode: 'pro', duration: 10, aspectRatio: '16:9', sound: true } },
      v1camera: { summary: 'Kling 1.0 with a camera move and cfgScale', value: { model: 'kling-v1', prompt: 'a lighthouse at dusk', cfgScale: 0.5, cameraControl: { type: 'simple', config: { zoom: 5 } } } },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createKlingTextToVideo(@Auth() auth: AuthContext, @Body() dto: KlingTextToVideoDto): Promise<TaskDto> {
    return this.kling.textToVideo(auth.user.id, dto);
  }

  @Post('image-to-video')
  @Authenticated()
  @ApiOperation({ summary: 'Make a video from a start and/or end frame (`{fileId}` or `{url}`); answers with the task' })
  @ApiBody({
    type: KlingImageToVideoDto,
    examples: {
      start: { summary: 'From a start frame (one of my images)', value: { model: 'kling-v2-6', prompt: 'the cat turns its head', startImage: { fileId: '00000000-0000-4000-8000-000000000000' } } },
      startEnd: {
        summary: 'Start and end frame (pro mode)',
        value: { model: 'kling-v2-5-turbo', mode: 'pro', startImage: { fileId: '00000000-0000-4000-8000-000000000001' }, endImage: { url: 'https://example.com/end.png' } },
      },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createKlingImageToVideo(@Auth() auth: AuthContext, @Body() dto: KlingImageToVideoDto): Promise<TaskDto> {
    return this.kling.imageToVideo(auth.user.id, dto);
  }

  @Get('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'One of my Kling tasks' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getKlingTask(@Auth() auth: AuthContext, @Param() { taskId }: KlingTaskIdParamDto): Promise<TaskDto> {
    return this.kling.task(auth.user.id, taskId);
  }

  @Delete('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'Cancel one of my Kling tasks: only before it was sent (refunded); Kling cannot stop a job it has' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Already sent to Kling (it cannot be stopped) or already finished' })
  cancelKlingTask(@Auth() auth: AuthContext, @Param() { taskId }: KlingTaskIdParamDto): Promise<CancelResultDto> {
    return this.kling.cancel(auth.user.id, taskId);
  }

  @Post('task/:taskId/last-frame')
  @Authenticated()
  @ApiOperation({ summary: "Store the last frame of the task's video as a new image of mine (to use as the next start frame)" })
  @ApiCreatedResponse({ type: MediaFileDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ type: ErrorResponseDto, description: 'The task has no stored video (yet), or its frame cannot be decoded' })
  createKlingLastFrame(@Auth() auth: AuthContext, @Param() { taskId }: KlingTaskIdParamDto): Promise<MediaFileDto> {
    return this.kling.lastFrame(auth.user.id, taskId);
  }

  @Get('history')
  @Authenticated()
  @ApiOperation({ summary: 'My Kling videos, newest first (the unified history item shape)' })
  @ApiOkResponse({ type: TaskPageDto })
  getKlingHistory(@Auth() auth: AuthContext, @Query() query: KlingHistoryQueryDto): Promise<TaskPageDto> {
    return this.kling.listHistory(auth.user.id, query);
  }
}
