import { ApiProperty, ApiPropertyOptional, OmitType, PickType } from '@nestjs/swagger';
import { KLING_ASPECT_RATIOS, KLING_CAMERA_AXES, KLING_CAMERA_TYPES, KLING_MODEL_NAMES, klingModelsFor } from '@atelier/providers/kling';
import { Type } from 'class-transformer';
import { Allow, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUrl, IsUUID, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { Optional } from '../../../common/validation.js';
import { HistoryQueryDto } from '../../scheduler/dto/task.dto.js';
import { MediaKind } from '../../storage/media-file.entity.js';

export const KLING_REGIONS = ['beijing', 'singapore', 'custom'] as const;

export class KlingConfigDto {
  @ApiProperty({ description: 'The AccessKey in use (empty when none is set)' })
  accessKey: string;
  @ApiProperty({ description: 'Whether a SecretKey is stored (it is never returned)' })
  secretKeySet: boolean;
  @ApiProperty({ enum: KLING_REGIONS, description: 'beijing: China console keys; singapore: global console keys; custom: baseUrl' })
  region: string;
  @ApiProperty({ description: 'The API in use' })
  baseUrl: string;
  @ApiProperty()
  enabled: boolean;
  @ApiProperty({ description: 'Seconds one video may take before it fails and is refunded' })
  timeout: number;
  @ApiProperty({ description: 'Videos at Kling at once; more wait their turn' })
  maxConcurrentTasks: number;
  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  usesSandbox: boolean;
  @ApiProperty({ description: 'The sandbox is mounted on this server' })
  sandboxAvailable: boolean;
  @ApiProperty({ description: 'An admin has saved settings' })
  saved: boolean;
}

export class SaveKlingConfigDto {
  @ApiPropertyOptional({ description: 'The AccessKey (the JWT issuer); empty keeps the stored one', maxLength: 200 })
  @Optional()
  @IsString()
  @MaxLength(200)
  accessKey?: string;

  @ApiPropertyOptional({ description: 'The SecretKey (signs the JWT); empty keeps the stored one', maxLength: 300 })
  @Optional()
  @IsString()
  @MaxLength(300)
  secretKey?: string;

  @ApiPropertyOptional({ enum: KLING_REGIONS, description: 'Keys only work in the region of the console that issued them' })
  @Optional()
  @IsIn(KLING_REGIONS, { message: `region must be one of: ${KLING_REGIONS.join(', ')}` })
  region?: string;

  @ApiPropertyOptional({ description: 'For region custom (a relay); empty clears it', maxLength: 300 })
  @Optional()
  @ValidateIf((_, value) => value !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'baseUrl must be an http(s) URL' })
  @Matches(/^[^?#]*$/, { message: 'baseUrl must not have a query (?…) or a fragment (#…): paths are appended to it' })
  @MaxLength(300)
  baseUrl?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: 'integer', description: 'Seconds one video may take (default 3600)', minimum: 300, maximum: 86400 })
  @Optional()
  @IsInt({ message: 'timeout must be a whole number of seconds' })
  @Min(300)
  @Max(86400)
  timeout?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @Optional()
  @IsInt({ message: 'maxConcurrentTasks must be a whole number' })
  @Min(1)
  @Max(100)
  maxConcurrentTasks?: number;
}

/** The connection settings of the admin form, checked before (or without) saving them. */
export class CheckKlingConfigDto extends PickType(SaveKlingConfigDto, ['accessKey', 'secretKey', 'region', 'baseUrl'] as const) {}

export class KlingUserConfigDto {
  @ApiProperty()
  enabled: boolean;
  @ApiProperty()
  defaultModel: string;
  @ApiProperty({ description: 'Generations go to the built-in sandbox' })
  sandbox: boolean;
}

export const KLING_HEALTH_REASONS = ['no_key', 'key_refused', 'unreachable'] as const;
export class KlingHealthDto {
  @ApiProperty()
  ok: boolean;
  @ApiProperty({ type: String, nullable: true, enum: KLING_HEALTH_REASONS, enumName: 'KlingHealthReason', description: 'Why the check failed (null when it passed)' })
  reason: string | null;
  @ApiProperty({ description: 'What was found, in plain words' })
  message: string;
  @ApiProperty({ type: Number, nullable: true })
  latencyMs: number | null;
  @ApiProperty()
  usesSandbox: boolean;
}

export class KlingPriceDto {
  @ApiProperty({ enum: ['std', 'pro'] })
  mode: string;
  @ApiProperty({ description: 'The priced model key (`<model>:<mode>`) in the admin price table' })
  priceKey: string;
  @ApiProperty({ description: 'Credits per 5 seconds now (a 10-second video costs twice this)' })
  per5Seconds: number;
  @ApiProperty({ description: 'The catalogue price per 5 seconds' })
  defaultPer5Seconds: number;
  @ApiProperty({ description: 'Credits by duration in seconds, e.g. { "5": 25, "10": 50 }', type: 'object', additionalProperties: { type: 'number' } })
  byDuration: Record<string, number>;
}

export class KlingModelDto {
  @ApiProperty({ example: 'kling-v2-6' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty()
  nameZhCN: string;
  @ApiProperty()
  description: string;
  @ApiProperty()
  descriptionZhCN: string;
  @ApiProperty({ description: 'text-to-video is possible' })
  textToVideo: boolean;
  @ApiProperty({ description: 'image-to-video is possible' })
  imageToVideo: boolean;
  @ApiProperty({ type: [String], enum: ['std', 'pro'] })
  modes: string[];
  @ApiProperty({ type: [Number], description: 'Seconds' })
  durations: number[];
  @ApiProperty({ description: 'Takes cfgScale (0 to 1)' })
  cfgScale: boolean;
  @ApiProperty({ description: 'Takes cameraControl' })
  cameraControl: boolean;
  @ApiProperty({ type: String, enum: ['none', 'pro'], description: 'End frame (endImage): not at all, or in pro mode' })
  endImage: string;
  @ApiProperty({ type: String, enum: ['none', 'pro'], description: 'sound: not at all, or in pro mode' })
  sound: string;
  @ApiProperty({ type: [String], description: 'The request fields this model takes' })
  parameters: string[];
  @ApiProperty({ type: () => [KlingPriceDto] })
  prices: KlingPriceDto[];
  @ApiProperty({ enum: MediaKind, enumName: 'MediaKind' })
  kind: MediaKind;
}

export class KlingModelsDto {
  @ApiProperty({ type: () => [KlingModelDto] })
  models: KlingModelDto[];
  @ApiProperty({ type: [String], description: 'text-to-video aspect ratios' })
  aspectRatios: string[];
  @ApiProperty({ type: [String] })
  cameraTypes: string[];
  @ApiProperty({ type: [String], description: 'cameraControl.config axes (type simple: exactly one non-zero, -10 to 10)' })
  cameraAxes: string[];
  @ApiProperty({ description: 'Input image rules', type: 'object', properties: { types: { type: 'array', items: { type: 'string' } }, maxBytes: { type: 'number' }, minSide: { type: 'number' }, minRatio: { type: 'number' }, maxRatio: { type: 'number' } } })
  imageRules: { types: string[]; maxBytes: number; minSide: number; minRatio: number; maxRatio: number };
}

export class KlingCameraConfigDto {
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) horizontal?: number;
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) vertical?: number;
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) pan?: number;
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) tilt?: number;
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) roll?: number;
  @ApiPropertyOptional({ minimum: -10, maximum: 10 }) zoom?: number;
}

export class KlingCameraControlDto {
  @ApiProperty({ enum: KLING_CAMERA_TYPES })
  type: string;
  @ApiPropertyOptional({ type: () => KlingCameraConfigDto, description: `Only for type simple: exactly one of ${KLING_CAMERA_AXES.join(', ')} non-zero` })
  config?: KlingCameraConfigDto;
}

/** The options both routes share; which ones a model takes is checked against its capabilities. */
class KlingVideoOptionsDto {
  @ApiProperty({ enum: KLING_MODEL_NAMES, example: 'kling-v2-6', maxLength: 60 })
  @IsString()
  @MaxLength(60)
  model: string;

  @ApiPropertyOptional({ maxLength: 2500 })
  @IsOptional()
  @IsString()
  @MaxLength(2500)
  prompt?: string;

  @ApiPropertyOptional({ maxLength: 2500 })
  @IsOptional()
  @IsString()
  @MaxLength(2500)
  negativePrompt?: string;

  @ApiPropertyOptional({ enum: ['std', 'pro'], default: 'std' })
  @Allow()
  mode?: string;

  @ApiPropertyOptional({ enum: [5, 10], default: 5, description: 'Seconds' })
  @Allow()
  duration?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'kling-v1, v1-5, v1-6 only' })
  @Allow()
  cfgScale?: number;

  @ApiPropertyOptional({ type: () => KlingCameraControlDto, description: 'kling-v1 and v1-5 only; not with an end frame' })
  @Allow()
  cameraControl?: KlingCameraControlDto;

  @ApiPropertyOptional({ description: 'Generate sound (kling-v2-6 in pro mode)', default: false })
  @Allow()
  sound?: boolean;
}

export class KlingTextToVideoDto extends KlingVideoOptionsDto {
  @ApiProperty({ enum: klingModelsFor('text2video'), example: 'kling-v2-6' })
  override model: string;

  @ApiProperty({ maxLength: 2500, description: 'What to film' })
  override prompt?: string;

  @ApiPropertyOptional({ enum: KLING_ASPECT_RATIOS, default: '16:9' })
  @Allow()
  aspectRatio?: string;
}

/** One input image: one of my stored images, or a URL (ours, or an outside one copied in first). */
export class KlingImageRefDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'fileId must be a UUID' })
  fileId?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;
}

export class KlingImageToVideoDto extends KlingVideoOptionsDto {
  @ApiProperty({ enum: klingModelsFor('image2video'), example: 'kling-v2-6' })
  override model: string;

  @ApiPropertyOptional({ type: () => KlingImageRefDto, description: 'The first frame (jpg/png, ≤ 10 MB, short side ≥ 300 px, ratio 1:2.5 to 2.5:1)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => KlingImageRefDto)
  startImage?: KlingImageRefDto;

  @ApiPropertyOptional({ type: () => KlingImageRefDto, description: 'The last frame (same rules; pro mode, models with an end frame)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => KlingImageRefDto)
  endImage?: KlingImageRefDto;
}

export class KlingTaskIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'taskId must be a UUID' })
  taskId: string;
}

/** The unified history's filters, less `source`: these are Kling's videos. */
export class KlingHistoryQueryDto extends OmitType(HistoryQueryDto, ['source'] as const) {}
