import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, IsUUID, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { CreditEntryKind, type CreditLedgerEntry } from '../credit-ledger-entry.entity.js';
import { say } from '../../../common/language.js';
import { CursorPageQueryDto } from '../../../common/page-query.dto.js';

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

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** Reasons the system writes (stored in English), in Chinese. */
const SYSTEM_REASONS_ZH_CN: Record<string, string> = {
  'Credits for a new account': '新账户赠送积分',
  'Canceled before it started': '开始前已取消',
};

export function mapLedgerEntry(entry: CreditLedgerEntry): CreditLedgerEntryDto {
  return {
    id: entry.id,
    delta: entry.delta,
    balanceAfter: entry.balanceAfter,
    kind: entry.kind,
    taskId: entry.taskId,
    reason: say(entry.reason, SYSTEM_REASONS_ZH_CN[entry.reason] ?? entry.reason),
    createdAt: entry.createdAt.toISOString(),
  };
}

export class CreditBalanceDto {
  @ApiProperty()
  balance: number;

  @ApiProperty({ type: () => [CreditLedgerEntryDto], description: 'The 10 most recent entries' })
  recent: CreditLedgerEntryDto[];
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
}

export class SaveCreditSettingsDto {
  @ApiProperty({ minimum: 0, maximum: 1_000_000, example: 100 })
  @IsInt({ message: 'signupGrant must be a whole number of credits' })
  @Min(0)
  @Max(1_000_000)
  signupGrant: number;
}
