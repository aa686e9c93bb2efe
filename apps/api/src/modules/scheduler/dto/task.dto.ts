import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { MediaFileDto } from '../../storage/dto/storage.dto.js';
import { MediaKind, type MediaFile, MediaStatus } from '../../storage/media-file.entity.js';
import { mapMediaFile } from '../../storage/media-files.service.js';
import { type GenerationTask, TaskErrorCode, TaskStatus } from '../generation-task.entity.js';
import { CursorPageQueryDto } from '../../../common/page-query.dto.js';

/** An output of a task: the stored file as the files API shows it, with what the provider said of it. */
export class TaskOutputDto extends PickType(MediaFileDto, ['id', 'url', 'thumbnailUrl', 'kind', 'mimeType', 'size', 'width', 'height', 'duration'] as const) {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What the provider said of this output (seed, nsfw flag, ...)' })
  metadata: Record<string, unknown>;

  @ApiProperty({
    description:
      "In our storage. False only with auto-upload off: `url` is then the provider's link (it expires within hours to days) until an admin's migration copies the file",
  })
  stored: boolean;
}

/** An action a finished task offers, as our own key with labels (never the provider's ids). */
export class TaskActionDto {
  @ApiProperty({ description: "The action's key, to send back to the provider's action route, e.g. `upscale:2`" })
  key: string;

  @ApiProperty({ description: 'Label, English' })
  label: string;

  @ApiProperty({ description: 'Label, Chinese' })
  labelZhCN: string;
}

export class TaskDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'flux, midjourney, kling, jimeng' })
  provider: string;

  @ApiProperty()
  model: string;

  @ApiProperty({ description: "The model's display name in English (its id when the provider no longer lists it)" })
  modelName: string;

  @ApiProperty({ description: "The model's display name in Chinese (its id when the provider no longer lists it)" })
  modelNameZhCN: string;

  @ApiProperty({ enum: MediaKind, enumName: 'MediaKind' })
  kind: MediaKind;

  @ApiProperty({ description: 'text-to-image, image-to-image, ...' })
  action: string;

  @ApiProperty({ enum: TaskStatus, enumName: 'TaskStatus' })
  status: TaskStatus;

  @ApiProperty({ minimum: 0, maximum: 100 })
  progress: number;

  @ApiProperty({ type: Number, nullable: true, description: "Place in the provider's queue, when known" })
  queuePosition: number | null;

  @ApiProperty({ type: String, nullable: true })
  prompt: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The parameters as submitted' })
  parameters: Record<string, unknown>;

  @ApiProperty({ description: 'Credits reserved for this task' })
  cost: number;

  @ApiProperty({ description: 'The cost was given back (a failed task, or one canceled before it started)' })
  refunded: boolean;

  @ApiProperty({ type: String, nullable: true, description: "Why it failed, in plain words (often the provider's own, in English)" })
  error: string | null;

  @ApiProperty({ enum: TaskErrorCode, enumName: 'TaskErrorCode', nullable: true, description: 'Why it failed, as a code to word in the reader’s language' })
  errorCode: TaskErrorCode | null;

  @ApiProperty({ type: () => [TaskOutputDto], description: 'Stored results; a role in each metadata (`grid`, `image`) when a task makes several kinds' })
  outputs: TaskOutputDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'A small structured result beside or instead of outputs, e.g. `{ prompts: string[] }` of a Midjourney describe',
  })
  result: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The task this one was made from (e.g. the grid an upscale came from)' })
  parentTaskId: string | null;

  @ApiProperty({ type: [String], description: 'Tasks made from this one, oldest first' })
  childTaskIds: string[];

  @ApiProperty({ type: () => [TaskActionDto], description: 'What can be done with it now (a succeeded task whose provider offers actions); empty otherwise' })
  actions: TaskActionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'While running, our URL of the provider\'s latest preview (GET /api/v1/tasks/{id}/preview, signed in; `v` changes with each new preview); null otherwise',
  })
  previewUrl: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  startedAt: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  finishedAt: string | null;
}

export function mapOutput(file: MediaFile): TaskOutputDto {
  const { id, url, thumbnailUrl, kind, mimeType, size, width, height, duration } = mapMediaFile(file);
  const stored = file.status === MediaStatus.Stored;
  return { id, url: stored ? url : file.sourceUrl, thumbnailUrl, kind, mimeType, size, width, height, duration, metadata: file.metadata ?? {}, stored };
}

/** What a task's view needs beyond its row: its stored outputs, its model's names, whether it was refunded. */
export interface TaskViewParts {
  outputs: MediaFile[];
  modelName: { en: string; zhCN: string } | null;
  refunded: boolean;
  childTaskIds?: string[];
  actions?: Array<{ key: string; label: { en: string; zhCN: string } }>;
}

/** The provider's current preview as the engine keeps it in the provider state. */
export interface TaskPreviewState {
  url: string;
  /** Changes with every new preview, so clients fetch it again. */
  version: string;
}

/** Our route to a running task's preview, or null when it has none (or is no longer running). */
export function previewUrlOf(task: GenerationTask): string | null {
  const preview = task.providerState?.preview as TaskPreviewState | undefined;
  if (!preview?.url || !['submitted', 'queued', 'running'].includes(task.status)) return null;
  return `/api/v1/tasks/${task.id}/preview?v=${encodeURIComponent(preview.version)}`;
}

export function mapTask(task: GenerationTask, { outputs, modelName, refunded, childTaskIds = [], actions = [] }: TaskViewParts): TaskDto {
  return {
    id: task.id,
    provider: task.provider,
    model: task.model,
    modelName: modelName?.en ?? task.model,
    modelNameZhCN: modelName?.zhCN ?? task.model,
    kind: task.kind,
    action: task.action,
    status: task.status,
    progress: task.progress,
    queuePosition: task.queuePosition,
    prompt: task.prompt,
    parameters: task.input,
    cost: task.cost,
    refunded,
    error: task.error,
    errorCode: task.errorCode,
    outputs: outputs.map(mapOutput),
    result: task.result ?? null,
    parentTaskId: task.parentTaskId ?? null,
    childTaskIds,
    actions: task.status === TaskStatus.Succeeded ? actions.map((action) => ({ key: action.key, label: action.label.en, labelZhCN: action.label.zhCN })) : [],
    previewUrl: previewUrlOf(task),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    startedAt: task.startedAt?.toISOString() ?? null,
    finishedAt: task.finishedAt?.toISOString() ?? null,
  };
}

export class TaskPageDto {
  @ApiProperty({ type: () => [TaskDto] })
  items: TaskDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class HistoryQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ description: 'The provider: flux, midjourney, kling, jimeng', maxLength: 32 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,32}$/, { message: 'source must be a provider name such as flux' })
  source?: string;

  @ApiPropertyOptional({ enum: MediaKind, enumName: 'MediaKind' })
  @IsOptional()
  @IsEnum(MediaKind, { message: `kind must be one of: ${Object.values(MediaKind).join(', ')}` })
  kind?: MediaKind;

  @ApiPropertyOptional({ enum: TaskStatus, enumName: 'TaskStatus' })
  @IsOptional()
  @IsEnum(TaskStatus, { message: `status must be one of: ${Object.values(TaskStatus).join(', ')}` })
  status?: TaskStatus;
}

export class CancelTaskDto {
  @ApiPropertyOptional({
    default: false,
    description:
      'Cancel even when the task has started at the provider, which bills it: its credits are then not refunded. ' +
      'Without it such a cancel answers 409 with `code: "cancel_not_refunded"` and the task keeps running',
  })
  @IsOptional()
  @IsBoolean()
  acceptLoss?: boolean;
}

export class CancelResultDto {
  @ApiProperty({ type: () => TaskDto })
  task: TaskDto;

  @ApiProperty({ description: 'Credits given back' })
  refunded: number;

  @ApiProperty({ description: 'What happened, in plain words' })
  message: string;
}

export class TaskEventsTokenDto {
  @ApiProperty({ description: 'Pass as ?token= to GET /api/v1/tasks/events' })
  token: string;

  @ApiProperty({ description: 'Seconds the token can be used to open the stream' })
  expiresIn: number;
}

export class TaskEventsQueryDto {
  @ApiProperty({ description: 'From POST /api/v1/tasks/events/token' })
  @IsString()
  @MaxLength(500)
  token: string;

  @ApiPropertyOptional({ description: 'Resume after this event id (the Last-Event-ID header works too)' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,16}$/, { message: 'since must be an event id' })
  since?: string;
}

export class TaskPreviewQueryDto {
  @ApiPropertyOptional({ description: 'The preview version from `previewUrl`; only makes each new preview a new URL' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  v?: string;
}

export class WebhookQueryDto {
  @ApiProperty({ description: 'The per-task token of the callback URL' })
  @IsString()
  @MaxLength(200)
  token: string;
}

export class WebhookAcceptedDto {
  @ApiProperty({ description: 'The task will be checked with the provider now' })
  accepted: boolean;
}

export class ModelPriceDto {
  @ApiProperty()
  provider: string;

  @ApiProperty()
  providerName: string;

  @ApiProperty()
  model: string;

  @ApiProperty({ description: 'Display name, English' })
  name: string;

  @ApiProperty({ description: 'Display name, Chinese' })
  nameZhCN: string;

  @ApiProperty({ enum: MediaKind, enumName: 'MediaKind' })
  kind: MediaKind;

  @ApiProperty({ description: 'Credits per task now' })
  price: number;

  @ApiProperty({ description: 'The catalogue price' })
  defaultPrice: number;

  @ApiProperty({ description: 'Whether an admin changed it' })
  custom: boolean;
}

export class PriceTableDto {
  @ApiProperty({ type: () => [ModelPriceDto] })
  prices: ModelPriceDto[];
}

export class PriceChangeDto {
  @ApiProperty({ maxLength: 32 })
  @IsString()
  @MaxLength(32)
  provider: string;

  @ApiProperty({ maxLength: 120 })
  @IsString()
  @MaxLength(120)
  model: string;

  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1_000_000, description: 'Credits per task; null returns to the default' })
  @IsOptional()
  @IsInt({ message: 'price must be a whole number of credits' })
  @Min(0)
  @Max(1_000_000)
  price: number | null;
}

export class SavePricesDto {
  @ApiProperty({ type: () => [PriceChangeDto] })
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => PriceChangeDto)
  prices: PriceChangeDto[];
}
