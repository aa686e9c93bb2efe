import { ApiProperty, ApiPropertyOptional, OmitType, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { MJ_ACTION_KEYS } from '@atelier/providers/midjourney';
import { HistoryQueryDto } from '../../scheduler/dto/task.dto.js';

export const MJ_FLAVORS = ['trueai', 'novicezk'] as const;
export const MJ_MODES = ['fast', 'relax', 'turbo'] as const;
export const MJ_BOT_TYPES = ['MID_JOURNEY', 'NIJI_JOURNEY'] as const;
export const MJ_BLEND_DIMENSIONS = ['portrait', 'square', 'landscape'] as const;
export type MjFlavorName = (typeof MJ_FLAVORS)[number];
export type MjModeName = (typeof MJ_MODES)[number];
export type MjBotTypeName = (typeof MJ_BOT_TYPES)[number];
export type MjBlendDimensionsName = (typeof MJ_BLEND_DIMENSIONS)[number];

export class MidjourneyConfigDto {
  @ApiProperty({ description: 'Whether a secret is stored (it is never returned)' })
  apiSecretSet: boolean;

  @ApiProperty({ description: 'The midjourney-proxy in use (its routes are under /mj)' })
  baseUrl: string;

  @ApiProperty({ enum: MJ_FLAVORS, enumName: 'MidjourneyFlavor', description: 'trueai (buttons, modal, cancel) or novicezk (imagine, U/V/R, blend, describe)' })
  flavor: MjFlavorName;

  @ApiProperty({ enum: MJ_MODES, enumName: 'MidjourneyMode', description: 'Speed mode (trueai only: the /mj-{mode} prefix)' })
  mode: MjModeName;

  @ApiProperty({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType' })
  defaultBotType: MjBotTypeName;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ description: 'Jobs at the proxy at once; more wait their turn' })
  maxConcurrentTasks: number;

  @ApiProperty({ description: 'Seconds one generation may take before it fails and is refunded' })
  timeout: number;

  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  usesSandbox: boolean;

  @ApiProperty({ description: 'The sandbox is mounted on this server' })
  sandboxAvailable: boolean;

  @ApiProperty({ description: 'An admin has saved settings' })
  saved: boolean;
}

export class SaveMidjourneyConfigDto {
  @ApiPropertyOptional({ description: "The proxy's secret (novicezk mj-api-secret, trueai user token); empty keeps the stored one", maxLength: 300 })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  apiSecret?: string;

  @ApiPropertyOptional({ description: 'Forgets the stored secret; in sandbox mode, with no base URL set, the sandbox is used again' })
  @IsOptional()
  @IsBoolean()
  clearApiSecret?: boolean;

  @ApiPropertyOptional({ description: 'The proxy, e.g. http://mj-proxy:8080; empty returns to the default (the sandbox in sandbox mode)', maxLength: 300 })
  @IsOptional()
  @ValidateIf((_, value) => value !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'baseUrl must be an http(s) URL' })
  @Matches(/^[^?#]*$/, { message: 'baseUrl must not have a query (?…) or a fragment (#…): /mj/... paths are appended to it' })
  @MaxLength(300)
  baseUrl?: string;

  @ApiPropertyOptional({ enum: MJ_FLAVORS, enumName: 'MidjourneyFlavor' })
  @IsOptional()
  @IsIn(MJ_FLAVORS, { message: `flavor must be one of: ${MJ_FLAVORS.join(', ')}` })
  flavor?: MjFlavorName;

  @ApiPropertyOptional({ enum: MJ_MODES, enumName: 'MidjourneyMode' })
  @IsOptional()
  @IsIn(MJ_MODES, { message: `mode must be one of: ${MJ_MODES.join(', ')}` })
  mode?: MjModeName;

  @ApiPropertyOptional({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType' })
  @IsOptional()
  @IsIn(MJ_BOT_TYPES, { message: `defaultBotType must be one of: ${MJ_BOT_TYPES.join(', ')}` })
  defaultBotType?: MjBotTypeName;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt({ message: 'maxConcurrentTasks must be a whole number' })
  @Min(1)
  @Max(100)
  maxConcurrentTasks?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Seconds one generation may take', minimum: 60, maximum: 7200 })
  @IsOptional()
  @IsInt({ message: 'timeout must be a whole number of seconds' })
  @Min(60)
  @Max(7200)
  timeout?: number;
}

/** The connection settings of the admin form, checked before (or without) saving them. */
export class CheckMidjourneyConfigDto extends PickType(SaveMidjourneyConfigDto, ['apiSecret', 'clearApiSecret', 'baseUrl', 'flavor', 'mode'] as const) {}

export const MJ_HEALTH_REASONS = ['no_secret', 'secret_refused', 'unreachable'] as const;
export type MjHealthReason = (typeof MJ_HEALTH_REASONS)[number];

export class MidjourneyHealthDto {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ type: String, nullable: true, enum: MJ_HEALTH_REASONS, enumName: 'MidjourneyHealthReason', description: 'Why the check failed (null when it passed)' })
  reason: MjHealthReason | null;

  @ApiProperty({ description: "What was found, in the request's language (the proxy's own words quoted)" })
  message: string;

  @ApiProperty({ type: Number, nullable: true })
  latencyMs: number | null;

  @ApiProperty()
  usesSandbox: boolean;
}

export class MidjourneyUserConfigDto {
  @ApiProperty({ description: 'Midjourney can be used' })
  enabled: boolean;

  @ApiProperty({ enum: MJ_FLAVORS, enumName: 'MidjourneyFlavor', description: 'novicezk offers only upscale, vary and reroll of a grid, and no cancel once sent' })
  flavor: MjFlavorName;

  @ApiProperty({ enum: MJ_MODES, enumName: 'MidjourneyMode' })
  mode: MjModeName;

  @ApiProperty({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType' })
  defaultBotType: MjBotTypeName;

  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  sandbox: boolean;
}

export class MidjourneyActionDto {
  @ApiProperty({ description: '`imagine`, `blend`, `describe`, or a button key such as `upscale:2`, `zoom:custom`' })
  key: string;

  @ApiProperty({ enum: ['start', 'action'], description: '`start`: a route of its own; `action`: POST /midjourney/tasks/{taskId}/actions on a finished task that offers it' })
  type: string;

  @ApiProperty()
  label: string;

  @ApiProperty()
  labelZhCN: string;

  @ApiProperty({ description: 'Its price model in Admin › Prices (several actions share one)' })
  model: string;

  @ApiProperty({ description: 'Credits now' })
  price: number;

  @ApiProperty({ description: 'The catalogue price' })
  defaultPrice: number;

  @ApiProperty({ enum: ['none', 'prompt', 'mask'], description: 'What the request must carry: a prompt (imagine, custom zoom: `zoom` too), a mask (vary region)' })
  needs: string;

  @ApiProperty({ description: 'Midjourney asks for a form; the server fills it from the same request' })
  modal: boolean;

  @ApiProperty({ enum: ['grid', 'image', 'text'], description: 'A 2x2 grid (stored with its four images), one image, or text (describe)' })
  result: string;

  @ApiProperty({ description: 'The configured proxy can do it (novicezk: only upscale, vary 1–4 and reroll among the buttons)' })
  available: boolean;
}

export class MidjourneyActionsDto {
  @ApiProperty({ type: () => [MidjourneyActionDto] })
  actions: MidjourneyActionDto[];
}

const IMAGE_REFERENCE = 'One of my files (its id) or an http(s) URL (copied in through the guarded fetcher)';

export class MidjourneyImagineDto {
  @ApiProperty({ maxLength: 4000, description: 'What to draw; --flags in it win over the parameter fields' })
  @IsString()
  @IsNotEmpty({ message: 'prompt must not be empty' })
  @MaxLength(4000)
  prompt: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', maxLength: 2000 }, maxItems: 5, description: `Reference images. ${IMAGE_REFERENCE}` })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'referenceImages must not hold empty values' })
  @MaxLength(2000, { each: true })
  referenceImages?: string[];

  @ApiPropertyOptional({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType', description: 'Default: the admin’s choice' })
  @IsOptional()
  @IsIn(MJ_BOT_TYPES, { message: `botType must be one of: ${MJ_BOT_TYPES.join(', ')}` })
  botType?: MjBotTypeName;

  @ApiPropertyOptional({ description: '--ar, e.g. 16:9', example: '16:9', maxLength: 20 })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  aspectRatio?: string;

  @ApiPropertyOptional({ description: '--v, e.g. 6.1 or 7', example: '7', maxLength: 10 })
  @IsOptional()
  @IsString()
  @MaxLength(10)
  version?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1000, description: '--stylize' })
  @IsOptional()
  @IsNumber({}, { message: 'stylize must be a number' })
  stylize?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 100, description: '--chaos' })
  @IsOptional()
  @IsNumber({}, { message: 'chaos must be a number' })
  chaos?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 3000, description: '--weird' })
  @IsOptional()
  @IsNumber({}, { message: 'weird must be a number' })
  weird?: number;

  @ApiPropertyOptional({ enum: [0.25, 0.5, 1, 2, 4], description: '--quality' })
  @IsOptional()
  @IsNumber({}, { message: 'quality must be a number' })
  quality?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 4294967295, description: '--seed' })
  @IsOptional()
  @IsNumber({}, { message: 'seed must be a number' })
  seed?: number;

  @ApiPropertyOptional({ description: '--no: what to leave out, e.g. "text, people"', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  no?: string;

  @ApiPropertyOptional({ description: '--style raw' })
  @IsOptional()
  @IsBoolean()
  rawStyle?: boolean;

  @ApiPropertyOptional({ description: '--tile' })
  @IsOptional()
  @IsBoolean()
  tile?: boolean;
}

export class MidjourneyTaskActionDto {
  @ApiProperty({ enum: MJ_ACTION_KEYS, enumName: 'MidjourneyActionKey', description: 'One of the actions the task offers (its `actions`)' })
  @IsIn(MJ_ACTION_KEYS, { message: `action must be one of: ${MJ_ACTION_KEYS.join(', ')}` })
  action: string;

  @ApiPropertyOptional({ maxLength: 4000, description: "zoom:custom and vary:region: the prompt for the new picture (default: the parent's prompt)" })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 2, description: 'zoom:custom: how far to zoom out (--zoom), default 2' })
  @IsOptional()
  @IsNumber({}, { message: 'zoom must be a number from 1 to 2' })
  @Min(1)
  @Max(2)
  zoom?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'vary:region: the mask as one of my files (white = redraw); or maskDataUrl' })
  @IsOptional()
  @IsUUID('all', { message: 'maskFileId must be a UUID' })
  maskFileId?: string;

  @ApiPropertyOptional({ description: 'vary:region: the mask as a data URL (data:image/png;base64,...); or maskFileId', maxLength: 900_000 })
  @IsOptional()
  @IsString()
  @Matches(/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$/, { message: 'maskDataUrl must be a data URL of a PNG, JPEG or WebP image (data:image/png;base64,...)' })
  @MaxLength(900_000)
  maskDataUrl?: string;
}

export class MidjourneyBlendDto {
  @ApiProperty({ type: 'array', items: { type: 'string', maxLength: 2000 }, minItems: 2, maxItems: 5, description: `2 to 5 images. ${IMAGE_REFERENCE}` })
  @IsArray()
  @ArrayMinSize(2, { message: 'images must hold 2 to 5 images' })
  @ArrayMaxSize(5, { message: 'images must hold 2 to 5 images' })
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'images must not hold empty values' })
  @MaxLength(2000, { each: true })
  images: string[];

  @ApiPropertyOptional({ enum: MJ_BLEND_DIMENSIONS, enumName: 'MidjourneyBlendDimensions', default: 'square', description: 'portrait 2:3, square 1:1, landscape 3:2' })
  @IsOptional()
  @IsIn(MJ_BLEND_DIMENSIONS, { message: `dimensions must be one of: ${MJ_BLEND_DIMENSIONS.join(', ')}` })
  dimensions?: MjBlendDimensionsName;

  @ApiPropertyOptional({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType' })
  @IsOptional()
  @IsIn(MJ_BOT_TYPES, { message: `botType must be one of: ${MJ_BOT_TYPES.join(', ')}` })
  botType?: MjBotTypeName;
}

export class MidjourneyDescribeDto {
  @ApiProperty({ maxLength: 2000, description: `The image to describe. ${IMAGE_REFERENCE}` })
  @IsString()
  @IsNotEmpty({ message: 'image must not be empty' })
  @MaxLength(2000)
  image: string;

  @ApiPropertyOptional({ enum: MJ_BOT_TYPES, enumName: 'MidjourneyBotType' })
  @IsOptional()
  @IsIn(MJ_BOT_TYPES, { message: `botType must be one of: ${MJ_BOT_TYPES.join(', ')}` })
  botType?: MjBotTypeName;
}

export class MidjourneyTaskIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'taskId must be a UUID' })
  taskId: string;
}

/** The unified history's filters, less `source`: these are Midjourney's generations. */
export class MidjourneyHistoryQueryDto extends OmitType(HistoryQueryDto, ['source'] as const) {}
