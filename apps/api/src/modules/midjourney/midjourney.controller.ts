import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ProviderConfigRoutes, ProviderSubmitErrors } from '../scheduler/provider-config-routes.js';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { CancelResultDto, CancelTaskDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import {
  CheckMidjourneyConfigDto,
  MidjourneyActionsDto,
  MidjourneyBlendDto,
  MidjourneyConfigDto,
  MidjourneyDescribeDto,
  MidjourneyHealthDto,
  MidjourneyHistoryQueryDto,
  MidjourneyImagineDto,
  MidjourneyTaskActionDto,
  MidjourneyTaskIdParamDto,
  MidjourneyUserConfigDto,
  SaveMidjourneyConfigDto,
} from './dto/midjourney.dto.js';
import { MidjourneySettingsService } from './midjourney-settings.service.js';
import { MidjourneyService } from './midjourney.service.js';

/** What a submission may answer besides the task. */
const SubmitErrors = () =>
  ProviderSubmitErrors({
    badRequest: 'A field is wrong (details name it), or Midjourney refused the request (a banned word is named; refunded)',
    badGateway: 'The proxy could not take the request for another reason (refunded)',
    unavailable: 'Midjourney is turned off or not set up',
  });

@ApiTags('Midjourney')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid input: details name each field' })
@Controller('midjourney')
export class MidjourneyController {
  constructor(
    private readonly midjourney: MidjourneyService,
    private readonly settings: MidjourneySettingsService,
  ) {}

  @ProviderConfigRoutes.get('Midjourney settings (the secret is never returned)', MidjourneyConfigDto)
  getMidjourneyConfig(): Promise<MidjourneyConfigDto> {
    return this.settings.getConfig();
  }

  @ProviderConfigRoutes.save('Change Midjourney settings; an empty apiSecret keeps the stored one', MidjourneyConfigDto)
  saveMidjourneyConfig(@Body() dto: SaveMidjourneyConfigDto): Promise<MidjourneyConfigDto> {
    return this.settings.saveConfig(dto);
  }

  @ProviderConfigRoutes.check(
    'Check a proxy address, flavor and secret before saving them (spends nothing)',
    'The same rules as saving: an empty apiSecret means the stored one, an empty baseUrl the default. Nothing is saved.',
    MidjourneyHealthDto,
  )
  checkMidjourneyConfig(@Body() dto: CheckMidjourneyConfigDto): Promise<MidjourneyHealthDto> {
    return this.midjourney.checkCandidate(dto);
  }

  @ProviderConfigRoutes.user('Whether Midjourney can be used, its flavor and default bot, and whether it is the sandbox', MidjourneyUserConfigDto)
  getMidjourneyUserConfig(): Promise<MidjourneyUserConfigDto> {
    return this.midjourney.userConfig();
  }

  @Get('actions')
  @Authenticated()
  @ApiOperation({ summary: 'Everything Midjourney does here (imagine, blend, describe and each button) with labels and prices' })
  @ApiOkResponse({ type: MidjourneyActionsDto })
  getMidjourneyActions(): Promise<MidjourneyActionsDto> {
    return this.midjourney.actions();
  }

  @Post('imagine')
  @Authenticated()
  @ApiOperation({ summary: 'Draw a 2x2 grid from a prompt (and reference images); answers with the task' })
  @ApiBody({
    type: MidjourneyImagineDto,
    examples: {
      simple: { summary: 'A prompt with parameter fields (appended as --flags)', value: { prompt: 'a lighthouse at dusk, oil painting', aspectRatio: '16:9', version: '7', stylize: 250 } },
      flags: { summary: 'Flags typed in the prompt win over the fields', value: { prompt: 'a red fox in snow --ar 2:3 --chaos 20', seed: 42 } },
      references: { summary: 'Reference images: my files or outside URLs', value: { prompt: 'in this style, a tea house', referenceImages: ['00000000-0000-4000-8000-000000000000'] } },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createMidjourneyImagine(@Auth() auth: AuthContext, @Body() dto: MidjourneyImagineDto): Promise<TaskDto> {
    return this.midjourney.imagine(auth.user.id, dto);
  }

  @Post('tasks/:taskId/actions')
  @Authenticated()
  @ApiOperation({
    summary: "Run one of a finished task's actions (upscale, vary, zoom, pan, ...): answers with the new child task",
    description: 'zoom:custom takes `prompt` and `zoom`, vary:region `prompt` and a mask; the form Midjourney opens for them is filled from this one request.',
  })
  @ApiBody({
    type: MidjourneyTaskActionDto,
    examples: {
      upscale: { summary: 'Upscale the second image of a grid', value: { action: 'upscale:2' } },
      customZoom: { summary: 'Custom zoom with a new prompt', value: { action: 'zoom:custom', prompt: 'a wider harbour at dusk', zoom: 1.5 } },
      region: { summary: 'Vary a region (white = redraw)', value: { action: 'vary:region', prompt: 'a red boat', maskFileId: '00000000-0000-4000-8000-000000000000' } },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such Midjourney task of mine' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The task has not succeeded, or does not offer this action (the message says why)' })
  @SubmitErrors()
  createMidjourneyAction(@Auth() auth: AuthContext, @Param() { taskId }: MidjourneyTaskIdParamDto, @Body() dto: MidjourneyTaskActionDto): Promise<TaskDto> {
    return this.midjourney.act(auth.user.id, taskId, dto);
  }

  @Post('blend')
  @Authenticated()
  @ApiOperation({ summary: 'Blend 2 to 5 images into a 2x2 grid (portrait, square or landscape)' })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createMidjourneyBlend(@Auth() auth: AuthContext, @Body() dto: MidjourneyBlendDto): Promise<TaskDto> {
    return this.midjourney.blend(auth.user.id, dto);
  }

  @Post('describe')
  @Authenticated()
  @ApiOperation({ summary: 'Four prompts for one image; the finished task carries them in `result.prompts`' })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createMidjourneyDescribe(@Auth() auth: AuthContext, @Body() dto: MidjourneyDescribeDto): Promise<TaskDto> {
    return this.midjourney.describe(auth.user.id, dto);
  }

  @Get('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'One of my Midjourney tasks, with the actions it offers now' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getMidjourneyTask(@Auth() auth: AuthContext, @Param() { taskId }: MidjourneyTaskIdParamDto): Promise<TaskDto> {
    return this.midjourney.task(auth.user.id, taskId);
  }

  @Delete('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'Cancel one of my Midjourney tasks (a novicezk proxy cannot stop a job once sent)' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description:
      'Already finished, too late, or the proxy cannot cancel (novicezk); or, with `code: "cancel_not_refunded"`, Midjourney has started the job and bills it: it keeps running unless `acceptLoss` is true',
  })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The proxy did not confirm the cancellation' })
  cancelMidjourneyTask(@Auth() auth: AuthContext, @Param() { taskId }: MidjourneyTaskIdParamDto, @Body() dto: CancelTaskDto): Promise<CancelResultDto> {
    return this.midjourney.cancel(auth.user.id, taskId, dto.acceptLoss);
  }

  @Get('history')
  @Authenticated()
  @ApiOperation({ summary: 'My Midjourney generations, newest first (the unified history item shape, with families)' })
  @ApiOkResponse({ type: TaskPageDto })
  getMidjourneyHistory(@Auth() auth: AuthContext, @Query() query: MidjourneyHistoryQueryDto): Promise<TaskPageDto> {
    return this.midjourney.listHistory(auth.user.id, query);
  }
}
