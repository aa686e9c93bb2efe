import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ProviderConfigRoutes, ProviderSubmitErrors } from '../scheduler/provider-config-routes.js';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { UserRole } from '../auth-sms/user.entity.js';
import { CancelResultDto, CancelTaskDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { MediaFileDto } from '../storage/dto/storage.dto.js';
import {
  FluxConfigDto,
  FluxCreditsDto,
  CheckFluxConfigDto,
  FluxHealthDto,
  FluxHistoryQueryDto,
  FluxImageToImageDto,
  FluxModelsDto,
  FluxTaskIdParamDto,
  FluxTextToImageDto,
  FluxUserConfigDto,
  ImageSizeDto,
  SaveFluxConfigDto,
} from './dto/flux.dto.js';
import { FluxSettingsService } from './flux-settings.service.js';
import { FluxService } from './flux.service.js';

/** What a submission may answer besides the task. */
const SubmitErrors = () =>
  ProviderSubmitErrors({
    badRequest: "A field does not fit the model (details name it and what is allowed), or fal.ai refused one of the request's values (refunded)",
    badGateway: 'fal.ai could not take the request for another reason (refunded)',
    unavailable: 'Flux is turned off or not set up',
  });

@ApiTags('Flux')
@ApiExtraModels(ImageSizeDto)
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid input: details name each field' })
@Controller('flux')
export class FluxController {
  constructor(
    private readonly flux: FluxService,
    private readonly settings: FluxSettingsService,
  ) {}

  @ProviderConfigRoutes.get('Flux settings (the API key is never returned)', FluxConfigDto)
  getFluxConfig(): Promise<FluxConfigDto> {
    return this.settings.getConfig();
  }

  @ProviderConfigRoutes.save('Change Flux settings; an empty apiKey keeps the stored one', FluxConfigDto)
  saveFluxConfig(@Body() dto: SaveFluxConfigDto): Promise<FluxConfigDto> {
    return this.settings.saveConfig(dto);
  }

  @ProviderConfigRoutes.check(
    'Check a key and base URL before saving them (spends nothing)',
    'The same rules as saving: an empty apiKey means the stored one, an empty baseUrl the default. Nothing is saved.',
    FluxHealthDto,
  )
  checkFluxConfig(@Body() dto: CheckFluxConfigDto): Promise<FluxHealthDto> {
    return this.flux.checkCandidate(dto);
  }

  @ProviderConfigRoutes.user('Whether Flux can be used, its default model, and whether it is the sandbox', FluxUserConfigDto)
  getFluxUserConfig(): Promise<FluxUserConfigDto> {
    return this.flux.userConfig();
  }

  @Get('models')
  @Authenticated()
  @ApiOperation({ summary: 'The 11 FLUX models with their parameters, ranges, defaults and prices' })
  @ApiOkResponse({ type: FluxModelsDto })
  getFluxModels(): Promise<FluxModelsDto> {
    return this.flux.models();
  }

  @Get('health')
  @Authenticated()
  @ApiOperation({
    summary: 'Whether fal.ai can be reached with the configured key (spends nothing)',
    description: 'Admins get a fresh check with the details; other users a check at most 15 s old, in plain words.',
  })
  @ApiOkResponse({ type: FluxHealthDto })
  getFluxHealth(@Auth() auth: AuthContext): Promise<FluxHealthDto> {
    return this.flux.health(auth.user.role === UserRole.Admin);
  }

  @Get('credits')
  @Authenticated()
  @ApiOperation({ summary: 'My balance and the price per image of each model' })
  @ApiOkResponse({ type: FluxCreditsDto })
  getFluxCredits(@Auth() auth: AuthContext): Promise<FluxCreditsDto> {
    return this.flux.userCredits(auth.user.id);
  }

  @Post('text-to-image')
  @Authenticated()
  @ApiOperation({ summary: 'Generate images from a prompt; reserves the price and answers with the task' })
  @ApiBody({
    type: FluxTextToImageDto,
    // Each model takes its own parameters (GET /flux/models): examples that are valid as they stand.
    examples: {
      schnell: {
        summary: 'FLUX.1 [schnell]: a size preset, 1 to 12 steps',
        value: { model: 'fal-ai/flux-1/schnell', prompt: 'a red fox in fresh snow, golden hour', numImages: 1, imageSize: 'landscape_4_3', numInferenceSteps: 4, seed: 42, outputFormat: 'jpeg', enableSafetyChecker: true },
      },
      dev: {
        summary: 'FLUX.1 [dev]: a custom size and guidance',
        value: { model: 'fal-ai/flux-1/dev', prompt: 'a lighthouse at dusk, oil painting', imageSize: { width: 1280, height: 720 }, guidanceScale: 3.5, numInferenceSteps: 28 },
      },
      kontext: {
        summary: 'Kontext text-to-image: an aspect ratio and a string safety tolerance',
        value: { model: 'fal-ai/flux-pro/kontext/text-to-image', prompt: 'a tea house in the mountains, morning mist', aspectRatio: '16:9', guidanceScale: 3.5, safetyTolerance: '2', outputFormat: 'png' },
      },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createFluxTextToImage(@Auth() auth: AuthContext, @Body() dto: FluxTextToImageDto): Promise<TaskDto> {
    return this.flux.textToImage(auth.user.id, dto);
  }

  @Post('image-to-image')
  @Authenticated()
  @ApiOperation({ summary: 'Edit, vary or combine images (imageUrl, imageUrls, fileId or fileIds); answers with the task' })
  @ApiBody({
    type: FluxImageToImageDto,
    examples: {
      kontext: {
        summary: 'Kontext: edit one of my images (an uploaded file or an earlier result)',
        value: { model: 'fal-ai/flux-pro/kontext', prompt: 'make it night, with lanterns', fileId: '00000000-0000-4000-8000-000000000000' },
      },
      dev: {
        summary: 'FLUX.1 [dev] image-to-image: strength says how far to move from the input',
        value: { model: 'fal-ai/flux-1/dev/image-to-image', prompt: 'watercolour style', imageUrl: 'https://example.com/photo.jpg', strength: 0.85 },
      },
      multi: {
        summary: 'Kontext multi: combine up to 4 images',
        value: { model: 'fal-ai/flux-pro/kontext/multi', prompt: 'put the cat from the first image on the sofa of the second', fileIds: ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'] },
      },
      redux: {
        summary: 'Redux: variations of an image, no prompt',
        value: { model: 'fal-ai/flux-1/schnell/redux', fileId: '00000000-0000-4000-8000-000000000000', numImages: 2 },
      },
    },
  })
  @ApiCreatedResponse({ type: TaskDto })
  @SubmitErrors()
  createFluxImageToImage(@Auth() auth: AuthContext, @Body() dto: FluxImageToImageDto): Promise<TaskDto> {
    return this.flux.imageToImage(auth.user.id, dto);
  }

  @Post('upload-image')
  @Authenticated()
  @ApiOperation({ summary: 'Upload an input image (multipart field "file"; jpg, png or webp by content; up to 10 MB)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: MediaFileDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponseDto })
  uploadFluxImage(@Auth() auth: AuthContext, @Req() request: Request): Promise<MediaFileDto> {
    return this.flux.uploadImage(auth.user.id, request);
  }

  @Get('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'One of my Flux tasks' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getFluxTask(@Auth() auth: AuthContext, @Param() { taskId }: FluxTaskIdParamDto): Promise<TaskDto> {
    return this.flux.task(auth.user.id, taskId);
  }

  @Delete('task/:taskId')
  @Authenticated()
  @ApiOperation({ summary: 'Cancel one of my Flux tasks' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: '`acceptLoss` is not a boolean' })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description:
      'Already finished or too late; or, with `code: "cancel_not_refunded"`, fal has started the job and bills it: it keeps running unless `acceptLoss` is true',
  })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'fal.ai did not confirm the cancellation' })
  cancelFluxTask(@Auth() auth: AuthContext, @Param() { taskId }: FluxTaskIdParamDto, @Body() dto: CancelTaskDto): Promise<CancelResultDto> {
    return this.flux.cancel(auth.user.id, taskId, dto.acceptLoss);
  }

  @Get('history')
  @Authenticated()
  @ApiOperation({ summary: 'My Flux generations, newest first (the unified history item shape)' })
  @ApiOkResponse({ type: TaskPageDto })
  getFluxHistory(@Auth() auth: AuthContext, @Query() query: FluxHistoryQueryDto): Promise<TaskPageDto> {
    return this.flux.listHistory(auth.user.id, query);
  }
}
