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
} from '@nestjs/swagger';
import { ProviderConfigRoutes, ProviderSubmitErrors } from '../scheduler/provider-config-routes.js';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import {
  CheckJimengConfigDto,
  JimengConfigDto,
  JimengHealthDto,
  JimengHistoryQueryDto,
  JimengImageToImageDto,
  JimengImageToVideoDto,
  JimengInpaintDto,
  JimengModelsDto,
  JimengTaskIdParamDto,
  JimengTextToImageDto,
  JimengTextToVideoDto,
  JimengUserConfigDto,
  SaveJimengConfigDto,
} from './dto/jimeng.dto.js';
import { JimengSettingsService } from './jimeng-settings.service.js';
import { JimengService } from './jimeng.service.js';

/** What a submission may answer besides the task. */
const SubmitErrors = () =>
  ProviderSubmitErrors({
    badRequest: "A field does not fit the model (details name it), an input image breaks Volcengine's rules, or Volcengine refused the request (refunded)",
    badGateway: 'Volcengine refused for its own reasons, e.g. keys or an inactive capability (refunded)',
    unavailable: 'Jimeng is turned off or not set up',
  });

const FILE_ID = '00000000-0000-4000-8000-000000000000';

@ApiTags('Jimeng')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid input: details name each field' })
@Controller('jimeng')
export class JimengController {
  constructor(
    private readonly jimeng: JimengService,
    private readonly settings: JimengSettingsService,
  ) {}

  @ProviderConfigRoutes.get('Jimeng (Volcengine) settings (the SecretAccessKey is never returned)', JimengConfigDto)
  getJimengConfig(): Promise<JimengConfigDto> {
    return this.settings.getConfig();
  }

  @ProviderConfigRoutes.save('Change Jimeng settings; empty keys keep the stored ones, reqKeyOverrides replaces the map', JimengConfigDto)
  saveJimengConfig(@Body() dto: SaveJimengConfigDto): Promise<JimengConfigDto> {
    return this.settings.saveConfig(dto);
  }

  @ProviderConfigRoutes.check(
    'Check keys and base URL before saving them (one GetResult for a task that cannot exist: spends nothing)',
    'The same rules as saving: empty keys mean the stored ones. Nothing is saved. A refused X-Date is reported as `clock_skew` (fix the server clock).',
    JimengHealthDto,
  )
  checkJimengConfig(@Body() dto: CheckJimengConfigDto): Promise<JimengHealthDto> {
    return this.jimeng.checkCandidate(dto);
  }

  @ProviderConfigRoutes.user('Whether Jimeng can be used, its default models, and whether it is the sandbox', JimengUserConfigDto)
  getJimengUserConfig(): Promise<JimengUserConfigDto> {
    return this.jimeng.userConfig();
  }

  @Get('models')
  @Authenticated()
  @ApiOperation({ summary: 'The Jimeng video and DreamWork image models: what each takes, and its price' })
  @ApiOkResponse({ type: JimengModelsDto })
  getJimengModels(): Promise<JimengModelsDto> {
    return this.jimeng.models();
  }

  @Post('text-to-video')
  @Authenticated()
  @ApiOperation({ summary: 'Make a video from a prompt; reserves the price (per 5 s) and answers with the task' })
  @ApiBody({
    type: JimengTextToVideoDto,
    examples: { t2v: { summary: '720P, 10 s, 9:16', value: { model: 'jimeng-video-3.0-720p-t2v', prompt: '雨夜街头漂流的纸船', duration: 10, aspectRatio: '9:16' } } },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createJimengTextToVideo(@Auth() auth: AuthContext, @Body() dto: JimengTextToVideoDto): Promise<TaskDto> {
    return this.jimeng.textToVideo(auth.user.id, dto);
  }

  @Post('image-to-video')
  @Authenticated()
  @ApiOperation({ summary: 'Make a video from a first frame (and a last frame for the first-tail models); answers with the task' })
  @ApiBody({
    type: JimengImageToVideoDto,
    examples: {
      first: { summary: 'From a first frame (one of my images)', value: { model: 'jimeng-video-3.0-720p-i2v', prompt: 'the cat turns its head', firstFrame: { fileId: FILE_ID } } },
      firstTail: { summary: 'First and last frame', value: { model: 'jimeng-video-3.0-720p-first-tail', firstFrame: { fileId: FILE_ID }, lastFrame: { url: 'https://example.com/end.png' } } },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createJimengImageToVideo(@Auth() auth: AuthContext, @Body() dto: JimengImageToVideoDto): Promise<TaskDto> {
    return this.jimeng.imageToVideo(auth.user.id, dto);
  }

  @Post('text-to-image')
  @Authenticated()
  @ApiOperation({ summary: 'DreamWork text-to-image (3.0, 3.1, Seedream 4.0 with reference images); answers with the task' })
  @ApiBody({
    type: JimengTextToImageDto,
    examples: {
      t2i: { summary: 'DreamWork 3.1, 16:9', value: { model: 'jimeng-image-t2i-3.1', prompt: '水墨风格的山间小屋', width: 1664, height: 936 } },
      seedream: { summary: 'Seedream 4.0 with a reference, several images', value: { model: 'jimeng-image-seedream-4.0', prompt: 'the same cat as a watercolour', referenceImages: [{ fileId: FILE_ID }], forceSingle: false } },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createJimengTextToImage(@Auth() auth: AuthContext, @Body() dto: JimengTextToImageDto): Promise<TaskDto> {
    return this.jimeng.textToImage(auth.user.id, dto);
  }

  @Post('image-to-image')
  @Authenticated()
  @ApiOperation({ summary: 'DreamWork image-to-image 3.0: change an image by an instruction; answers with the task' })
  @ApiBody({ type: JimengImageToImageDto, examples: { i2i: { summary: 'An edit instruction', value: { prompt: '把背景换成雪山', image: { fileId: FILE_ID }, strength: 0.6 } } } })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createJimengImageToImage(@Auth() auth: AuthContext, @Body() dto: JimengImageToImageDto): Promise<TaskDto> {
    return this.jimeng.imageToImage(auth.user.id, dto);
  }

  @Post('inpaint')
  @Authenticated()
  @ApiOperation({ summary: 'DreamWork inpainting: repaint the white part of a mask ("删除" erases it); answers with the task' })
  @ApiBody({ type: JimengInpaintDto, examples: { erase: { summary: 'Erase what the mask covers', value: { prompt: '删除', image: { fileId: FILE_ID }, maskFileId: '00000000-0000-4000-8000-000000000001' } } } })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createJimengInpaint(@Auth() auth: AuthContext, @Body() dto: JimengInpaintDto): Promise<TaskDto> {
    return this.jimeng.inpaint(auth.user.id, dto);
  }

  @Get('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'One of my Jimeng tasks' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getJimengTask(@Auth() auth: AuthContext, @Param() { taskId }: JimengTaskIdParamDto): Promise<TaskDto> {
    return this.jimeng.task(auth.user.id, taskId);
  }

  @Delete('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'Cancel one of my Jimeng tasks: only before it was sent (refunded); Volcengine cannot stop a job it has' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Already sent to Volcengine (it cannot be stopped) or already finished' })
  cancelJimengTask(@Auth() auth: AuthContext, @Param() { taskId }: JimengTaskIdParamDto): Promise<CancelResultDto> {
    return this.jimeng.cancel(auth.user.id, taskId);
  }

  @Get('history')
  @Authenticated()
  @ApiOperation({ summary: 'My Jimeng images and videos, newest first (the unified history item shape; `kind` filters)' })
  @ApiOkResponse({ type: TaskPageDto })
  getJimengHistory(@Auth() auth: AuthContext, @Query() query: JimengHistoryQueryDto): Promise<TaskPageDto> {
    return this.jimeng.listHistory(auth.user.id, query);
  }
}
