import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { CreditEntryKind, type CreditLedgerEntry } from '../credit-ledger-entry.entity.js';
import { say } from '../../../common/language.js';
import { CursorPageQueryDto } from '../../../common/page-query.dto.js';
import { TaskErrorCode } from '../../scheduler/generation-task.entity.js';

/**
 * What the ledger tells of a task, from the task engine (which knows the models): credits does not
 * depend on the engine, the engine registers this with CreditsService.
 */
export interface LedgerTaskFacts {
  provider: string;
  model: string;
  modelName: { en: string; zhCN: string } | null;
  errorCode: TaskErrorCode | null;
}

export class LedgerTaskDto {
  @ApiProperty({ example: 'flux' })
  provider: string;

  @ApiProperty({ example: 'fal-ai/flux-1/schnell', description: "The model's id" })
  model: string;

  @ApiProperty({ example: 'FLUX.1 [schnell]', description: "The model's name in English (its id when unknown)" })
  modelName: string;

  @ApiProperty({ example: 'FLUX.1 [schnell] 极速', description: "The model's name in Chinese (its id when unknown)" })
  modelNameZhCN: string;

  @ApiProperty({
    enum: TaskErrorCode,
    enumName: 'TaskErrorCode',
    nullable: true,
    description: "Why the task failed, for clients to word a refund's reason in their language (the entry's `reason` keeps the provider's words)",
  })
  errorCode: TaskErrorCode | null;
}

export class CreditLedgerEntryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'Positive for credits added, negative for credits taken' })
  delta: number;

  @ApiProperty()
  balanceAfter: number;

  @ApiProperty({ enum: CreditEntryKind, enumName: 'CreditEntryKind' })
  kind: CreditEntryKind;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  taskId: string | null;

  @ApiProperty({ description: "Why: the admin's words, or the system's in the request's language" })
  reason: string;

  @ApiProperty({ type: () => LedgerTaskDto, nullable: true, description: 'The task a charge or refund belongs to' })
  task: LedgerTaskDto | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** Reasons the system writes (stored in English), in Chinese. */
const SYSTEM_REASONS_ZH_CN: Record<string, string> = {
  'Credits for a new account': '新账户赠送积分',
  'Canceled before it started': '开始前已取消',
};

export function mapLedgerEntry(entry: CreditLedgerEntry, facts?: LedgerTaskFacts): CreditLedgerEntryDto {
  return {
    id: entry.id,
    delta: entry.delta,
    balanceAfter: entry.balanceAfter,
    kind: entry.kind,
    taskId: entry.taskId,
    reason: say(entry.reason, SYSTEM_REASONS_ZH_CN[entry.reason] ?? entry.reason),
    task: facts
      ? {
          provider: facts.provider,
          model: facts.model,
          modelName: facts.modelName?.en ?? facts.model,
          modelNameZhCN: facts.modelName?.zhCN ?? facts.model,
          errorCode: facts.errorCode,
        }
      : null,
    createdAt: entry.createdAt.toISOString(),
  };
}

export class CreditBalanceDto {
  @ApiProperty()
  balance: number;

  @ApiProperty({ type: () => [CreditLedgerEntryDto], description: 'The 10 most recent entries' })
  recent: CreditLedgerEntryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: "How to get credits, in the administrator's words (plain text; a contact or a top-up link), or null when none is set",
  })
  topUpMessage: string | null;
}

export class CreditLedgerPageDto {
  @ApiProperty({ type: () => [CreditLedgerEntryDto] })
  items: CreditLedgerEntryDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class LedgerQueryDto extends CursorPageQueryDto {
}

export class GrantCreditsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;

  @ApiProperty({ description: 'Credits to add; negative to deduct (never below zero)', example: 50 })
  @IsInt({ message: 'amount must be a whole number of credits' })
  @NotEquals(0, { message: 'amount must not be 0' })
  @Min(-1_000_000_000)
  @Max(1_000_000_000)
  amount: number;

  @ApiProperty({ maxLength: 300, example: 'Welcome bonus' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty({ message: 'reason must not be empty' })
  @MaxLength(300)
  reason: string;
}

export class GrantResultDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty()
  balance: number;

  @ApiProperty({ type: () => CreditLedgerEntryDto })
  entry: CreditLedgerEntryDto;
}

export class CreditSettingsDto {
  @ApiProperty({ description: 'Credits every new account receives', example: 100 })
  signupGrant: number;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 500,
    description: 'Shown to users whose balance is below a price: how to get credits (plain text; links are recognised)',
    example: '充值请联系管理员：微信 atelier-admin，或访问 https://example.com/top-up',
  })
  topUpMessage: string | null;
}

export class SaveCreditSettingsDto {
  @ApiProperty({ minimum: 0, maximum: 1_000_000, example: 100 })
  @IsInt({ message: 'signupGrant must be a whole number of credits' })
  @Min(0)
  @Max(1_000_000)
  signupGrant: number;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    description: 'How users get credits (plain text; links are recognised). Empty or null removes it; left out keeps it',
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString({ message: 'topUpMessage must be text' })
  @MaxLength(500, { message: 'topUpMessage must be at most 500 characters' })
  topUpMessage?: string | null;
}
