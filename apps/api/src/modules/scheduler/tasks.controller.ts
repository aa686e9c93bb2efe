import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { IdParamDto } from '../../common/id-param.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import {
  CancelResultDto,
  CancelTaskDto,
  PriceTableDto,
  SavePricesDto,
  TaskDto,
  TaskEventsQueryDto,
  TaskEventsTokenDto,
  TaskPreviewQueryDto,
  WebhookAcceptedDto,
  WebhookQueryDto,
} from './dto/task.dto.js';
import { PricesService } from './prices.service.js';
import { TaskEventsService } from './task-events.service.js';
import { TaskPreviews } from './task-previews.service.js';
import { TaskViews } from './task-views.service.js';
import { TasksService } from './tasks.service.js';

const PICTURE = { schema: { type: 'string' as const, format: 'binary' } };

@ApiTags('Tasks')
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly views: TaskViews,
    private readonly events: TaskEventsService,
    private readonly previews: TaskPreviews,
  ) {}

  @Post('events/token')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'A short-lived token to open the task event stream (EventSource cannot send headers)' })
  @ApiOkResponse({ type: TaskEventsTokenDto })
  createTaskEventsToken(@Auth() auth: AuthContext): TaskEventsTokenDto {
    return this.events.createToken(auth.user);
  }

  @Get('events')
  @ApiOperation({
    summary: 'Live changes of my tasks as Server-Sent Events',
    description:
      'Each event is `event: task` with the task as JSON; its id resumes the stream (Last-Event-ID header or `since`). ' +
      'Without either, the stream starts with every unfinished task.',
  })
  // The stream's content type on its 200 only: its errors are JSON like every other.
  @ApiOkResponse({ description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Missing, invalid or expired stream token' })
  streamTaskEvents(
    @Query() query: TaskEventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.events.open(query.token, query.since ?? lastEventId, request, response);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'One of my tasks, with its outputs' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getTask(@Auth() auth: AuthContext, @Param() { id }: IdParamDto): Promise<TaskDto> {
    return this.views.view(auth.user.id, id);
  }

  @Get(':id/preview')
  @Authenticated()
  @ApiOperation({
    summary: "A running task's latest preview picture, fetched from the provider now (not stored)",
    description: 'The task says whether it has one in `previewUrl` (this route with a version `v`, which changes with each new preview).',
  })
  @ApiOkResponse({
    description: 'The picture, as the provider serves it',
    content: { 'image/webp': PICTURE, 'image/png': PICTURE, 'image/jpeg': PICTURE, 'image/gif': PICTURE },
  })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID, or v is malformed' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such task of mine, or it has no preview (not running, or none yet)' })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The provider did not deliver the picture' })
  getTaskPreview(@Auth() auth: AuthContext, @Param() { id }: IdParamDto, @Query() _query: TaskPreviewQueryDto, @Res() response: Response): Promise<void> {
    return this.previews.send(auth.user.id, id, response);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Cancel a task: at the provider when it can; a task that never started is refunded in full' })
  @ApiOkResponse({ type: CancelResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: '`acceptLoss` is not a boolean' })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description:
      'Already finished, too late, or the provider cannot cancel; or, with `code: "cancel_not_refunded"`, the task has started and would not be refunded: it keeps running unless `acceptLoss` is true',
  })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The provider did not confirm the cancellation' })
  cancelTask(@Auth() auth: AuthContext, @Param() { id }: IdParamDto, @Body() dto: CancelTaskDto): Promise<CancelResultDto> {
    return this.tasks.cancel(auth.user.id, id, dto.acceptLoss);
  }
}

@ApiTags('Tasks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly tasks: TasksService) {}

  @Post(':provider/:taskId')
  @HttpCode(200)
  @ApiOperation({ summary: "A provider's callback: makes the task due now; the engine then asks the provider itself" })
  @ApiOkResponse({ type: WebhookAcceptedDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'Unknown task or wrong token' })
  receiveWebhook(
    @Param('provider') provider: string,
    @Param('taskId') taskId: string,
    @Query() query: WebhookQueryDto,
    @Body() body: unknown,
    @Req() request: Request,
  ): Promise<WebhookAcceptedDto> {
    return this.tasks.webhook(provider, taskId, query.token, body, request.headers);
  }
}

@ApiTags('Credits')
@Controller('admin/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'The price in credits of every model of every provider' })
  @ApiOkResponse({ type: PriceTableDto })
  getPrices(): Promise<PriceTableDto> {
    return this.prices.table();
  }

  @Put()
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Change model prices (null returns a model to its default); tasks keep the price they were submitted at' })
  @ApiOkResponse({ type: PriceTableDto })
  savePrices(@Body() dto: SavePricesDto): Promise<PriceTableDto> {
    return this.prices.save(dto.prices);
  }
}
