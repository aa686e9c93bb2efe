import { ApiProperty, ApiPropertyOptional, OmitType, PickType, getSchemaPath } from '@nestjs/swagger';
import { HistoryQueryDto } from '../../scheduler/dto/task.dto.js';

import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
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
import { MediaKind } from '../../storage/media-file.entity.js';
import { Optional } from '../../../common/validation.js';
import { ASPECT_RATIOS, CUSTOM_SIZE, FLUX_MODELS, IMAGE_SIZE_PRESETS } from '../flux-models.js';

const TEXT_TO_IMAGE_MODELS = FLUX_MODELS.filter((model) => model.mode === 'text-to-image').map((model) => model.id);
const IMAGE_TO_IMAGE_MODELS = FLUX_MODELS.filter((model) => model.mode !== 'text-to-image').map((model) => model.id);

export class FluxConfigDto {
  @ApiProperty({ description: 'Whether an API key is stored (it is never returned)' })
  apiKeySet: boolean;

  @ApiProperty({ description: 'The queue API in use' })
  baseUrl: string;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ description: 'Seconds one generation may take before it fails and is refunded' })
  timeout: number;

  @ApiProperty({ description: 'Generations at fal at once; more wait their turn' })
  maxConcurrentTasks: number;

  @ApiProperty()
  defaultModel: string;

  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  usesSandbox: boolean;

  @ApiProperty({ description: 'The sandbox is mounted on this server' })
  sandboxAvailable: boolean;

  @ApiProperty({ description: 'An admin has saved settings' })
  saved: boolean;
}

export class SaveFluxConfigDto {
  @ApiPropertyOptional({ description: 'The fal key (FAL_KEY, or key_id:key_secret); empty keeps the stored one', maxLength: 300 })
  @Optional()
  @IsString()
  @MaxLength(300)
  apiKey?: string;

  @ApiPropertyOptional({ description: 'Forgets the stored key; in sandbox mode, with no base URL set, the sandbox is used again' })
  @Optional()
  @IsBoolean()
  clearApiKey?: boolean;

  @ApiPropertyOptional({ description: 'Default https://queue.fal.run; empty returns to it. No query or fragment: model paths are appended to it', maxLength: 300 })
  @Optional()
  @ValidateIf((_, value) => value !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'baseUrl must be an http(s) URL' })
  @Matches(/^[^?#]*$/, { message: 'baseUrl must not have a query (?…) or a fragment (#…): model paths are appended to it' })
  @MaxLength(300)
  baseUrl?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: 'integer', description: 'Seconds one generation may take', minimum: 60, maximum: 7200 })
  @Optional()
  @IsInt({ message: 'timeout must be a whole number of seconds' })
  @Min(60)
  @Max(7200)
  timeout?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @Optional()
  @IsInt({ message: 'maxConcurrentTasks must be a whole number' })
  @Min(1)
  @Max(100)
  maxConcurrentTasks?: number;

  @ApiPropertyOptional({ maxLength: 120 })
  @Optional()
  @IsString()
  @MaxLength(120)
  defaultModel?: string;
}

/** The connection settings of the admin form, checked before (or without) saving them. */
export class CheckFluxConfigDto extends PickType(SaveFluxConfigDto, ['apiKey', 'clearApiKey', 'baseUrl'] as const) {}

export class FluxUserConfigDto {
  @ApiProperty()
  enabled: boolean;

  @ApiProperty()
  defaultModel: string;

  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  sandbox: boolean;
}

export class FluxParameterDto {
  @ApiProperty({ description: 'The request field (camelCase)' })
  name: string;

  @ApiProperty({ enum: ['integer', 'number', 'boolean', 'enum', 'imageSize'] })
  type: string;

  @ApiPropertyOptional()
  min?: number;

  @ApiPropertyOptional()
  max?: number;

  @ApiPropertyOptional()
  step?: number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] })
  default?: string | number | boolean;

  @ApiPropertyOptional({ type: [String], description: 'Allowed values (enum), or the size presets (imageSize)' })
  values?: string[];
}

export class FluxModelDto {
  @ApiProperty({ example: 'fal-ai/flux-1/dev' })
  id: string;

  @ApiProperty({ enum: ['flux-1', 'kontext'] })
  family: string;

  @ApiProperty({ enum: ['text-to-image', 'image-to-image', 'redux', 'multi-image'] })
  mode: string;

  @ApiProperty()
  name: string;

  @ApiProperty()
  nameZhCN: string;

  @ApiProperty()
  description: string;

  @ApiProperty()
  descriptionZhCN: string;

  @ApiProperty({ enum: ['required', 'none'] })
  prompt: string;

  @ApiProperty({ enum: ['none', 'single', 'multi'] })
  imageInput: string;

  @ApiProperty({ description: 'How many input images it takes at most' })
  maxImages: number;

  @ApiProperty({ type: () => [FluxParameterDto] })
  parameters: FluxParameterDto[];

  @ApiProperty({ description: 'Credits per image now' })
  price: number;

  @ApiProperty({ description: 'The catalogue price per image' })
  defaultPrice: number;

  @ApiProperty({ enum: MediaKind, enumName: 'MediaKind' })
  kind: MediaKind;
}

export class FluxModelsDto {
  @ApiProperty({ type: () => [FluxModelDto] })
  models: FluxModelDto[];

  @ApiProperty({ type: [String] })
  imageSizes: string[];

  @ApiProperty({ type: [String] })
  aspectRatios: string[];

  @ApiProperty({ description: 'Custom imageSize bounds in pixels', type: 'object', properties: { min: { type: 'number' }, max: { type: 'number' } } })
  customSize: { min: number; max: number };
}

/** Why a check of fal failed, for clients to word it in their own language. */
export const FLUX_HEALTH_REASONS = ['no_key', 'key_refused', 'unreachable'] as const;
export type FluxHealthReason = (typeof FLUX_HEALTH_REASONS)[number];

export class FluxHealthDto {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ type: String, nullable: true, enum: FLUX_HEALTH_REASONS, enumName: 'FluxHealthReason', description: 'Why the check failed (null when it passed)' })
  reason: FluxHealthReason | null;

  @ApiProperty({ description: 'What was found, in plain words (English)' })
  message: string;

  @ApiProperty({ type: Number, nullable: true })
  latencyMs: number | null;

  @ApiProperty()
  usesSandbox: boolean;
}

export class FluxModelPriceDto {
  @ApiProperty()
  model: string;

  @ApiProperty({ description: 'Credits per image' })
  price: number;
}

export class FluxCreditsDto {
  @ApiProperty()
  balance: number;

  @ApiProperty({ type: () => [FluxModelPriceDto] })
  prices: FluxModelPriceDto[];
}

export class ImageSizeDto {
  @ApiProperty({ type: 'integer', minimum: CUSTOM_SIZE.min, maximum: CUSTOM_SIZE.max })
  width: number;

  @ApiProperty({ type: 'integer', minimum: CUSTOM_SIZE.min, maximum: CUSTOM_SIZE.max })
  height: number;
}

/** The parameters every FLUX request may carry; which ones a model takes is checked against the catalogue. */
class FluxParametersDto {
  @ApiProperty({ example: 'fal-ai/flux-1/schnell', maxLength: 120 })
  @IsString()
  @MaxLength(120)
  model: string;

  @ApiPropertyOptional({ maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 4, default: 1 })
  @Allow()
  numImages?: number;

  @ApiPropertyOptional({ description: 'flux-1 models: a preset or { width, height }', oneOf: [{ type: 'string', enum: IMAGE_SIZE_PRESETS }, { $ref: getSchemaPath(ImageSizeDto) }] })
  @Allow()
  imageSize?: string | ImageSizeDto;

  @ApiPropertyOptional({ description: 'Kontext models', enum: ASPECT_RATIOS })
  @Allow()
  aspectRatio?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 20 })
  @Allow()
  guidanceScale?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 50, description: 'schnell: 1 to 12' })
  @Allow()
  numInferenceSteps?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 2147483647 })
  @Allow()
  seed?: number;

  @ApiPropertyOptional({ enum: ['jpeg', 'png'] })
  @Allow()
  outputFormat?: string;

  @ApiPropertyOptional({ description: 'flux-1 models' })
  @Allow()
  enableSafetyChecker?: boolean;

  @ApiPropertyOptional({ description: 'Kontext models: "1" (strictest) to "6"', enum: ['1', '2', '3', '4', '5', '6'] })
  @Allow()
  safetyTolerance?: string;

  @ApiPropertyOptional({ description: 'Kontext models' })
  @Allow()
  enhancePrompt?: boolean;
}

export class FluxTextToImageDto extends FluxParametersDto {
  @ApiProperty({ enum: TEXT_TO_IMAGE_MODELS, example: 'fal-ai/flux-1/schnell' })
  override model: string;

  @ApiProperty({ maxLength: 4000, description: 'What to draw' })
  override prompt?: string;
}

export class FluxImageToImageDto extends FluxParametersDto {
  @ApiProperty({ enum: IMAGE_TO_IMAGE_MODELS, example: 'fal-ai/flux-pro/kontext' })
  override model: string;

  @ApiPropertyOptional({ maxLength: 4000, description: 'How to change the image; redux models take none' })
  override prompt?: string;

  @ApiPropertyOptional({ minimum: 0.01, maximum: 1, description: 'fal-ai/flux-1/dev/image-to-image only' })
  @IsOptional()
  @IsNumber({}, { message: 'strength must be a number' })
  strength?: number;

  @ApiPropertyOptional({ description: 'One of our media URLs, or an outside URL to copy in first', minLength: 1, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'imageUrl must not be empty: leave it out, or send a URL' })
  @MaxLength(2000)
  imageUrl?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, description: 'Multi-image models', minItems: 1, maxItems: 4 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @IsNotEmpty({ each: true, message: 'imageUrls must not hold empty URLs' })
  @MaxLength(2000, { each: true })
  imageUrls?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'An uploaded file or an earlier result' })
  @IsOptional()
  @IsUUID('all', { message: 'fileId must be a UUID' })
  fileId?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', format: 'uuid' }, description: 'Multi-image models', minItems: 1, maxItems: 4 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsUUID('all', { each: true, message: 'fileIds must be UUIDs' })
  fileIds?: string[];
}

export class FluxTaskIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'taskId must be a UUID' })
  taskId: string;
}


/** The unified history's filters, less `source`: these are Flux's generations. */
export class FluxHistoryQueryDto extends OmitType(HistoryQueryDto, ['source'] as const) {}
