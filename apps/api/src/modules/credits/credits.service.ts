import { ConflictException, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { User } from '../auth-sms/user.entity.js';
import { CreditAccount } from './credit-account.entity.js';
import { CreditEntryKind, CreditLedgerEntry } from './credit-ledger-entry.entity.js';
import { CreditSettings } from './credit-settings.entity.js';
import {
  type CreditBalanceDto,
  type CreditLedgerPageDto,
  type CreditSettingsDto,
  type GrantCreditsDto,
  type GrantResultDto,
  type LedgerQueryDto,
  type LedgerTaskFacts,
  mapLedgerEntry,
  type SaveCreditSettingsDto,
} from './dto/credits.dto.js';
import type { CreditLedgerEntryDto } from './dto/credits.dto.js';

export const DEFAULT_SIGNUP_GRANT = 100;

/**
 * Balances change only here, each time inside a transaction together with its ledger row.
 * Charges are conditional decrements (never below zero, also a database check); a task is
 * charged and refunded at most once (unique indexes on the ledger).
 */
@Injectable()
export class CreditsService {
  /** Set by the task engine: what the ledger shows of the tasks its entries belong to. */
  #describeTasks: (taskIds: string[]) => Promise<Map<string, LedgerTaskFacts>> = async () => new Map();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The task engine tells the ledger about its tasks (model names, why one failed) through this. */
  describeTasksWith(describe: (taskIds: string[]) => Promise<Map<string, LedgerTaskFacts>>): void {
    this.#describeTasks = describe;
  }

  async settings(manager: EntityManager = this.dataSource.manager): Promise<CreditSettingsDto> {
    const row = await manager.findOneBy(CreditSettings, { id: 1 });
    return { signupGrant: row?.signupGrant ?? DEFAULT_SIGNUP_GRANT, topUpMessage: row?.topUpMessage ?? null };
  }

  async saveSettings(dto: SaveCreditSettingsDto): Promise<CreditSettingsDto> {
    const current = await this.settings();
    const topUpMessage = dto.topUpMessage === undefined ? current.topUpMessage : dto.topUpMessage || null;
    await this.dataSource.getRepository(CreditSettings).save({ id: 1, signupGrant: dto.signupGrant, topUpMessage });
    return this.settings();
  }

  /** Ledger entries for clients, with what they say of their tasks. */
  private async entries(rows: CreditLedgerEntry[]): Promise<CreditLedgerEntryDto[]> {
    const taskIds = [...new Set(rows.map((row) => row.taskId).filter((id): id is string => id !== null))];
    const facts = taskIds.length ? await this.#describeTasks(taskIds) : new Map<string, LedgerTaskFacts>();
    return rows.map((row) => mapLedgerEntry(row, row.taskId ? facts.get(row.taskId) : undefined));
  }

  /** Opens a new user's account with the sign-up grant, in the transaction that creates the user. */
  async openAccount(manager: EntityManager, userId: string): Promise<void> {
    const { signupGrant } = await this.settings(manager);
    await manager.insert(CreditAccount, { userId, balance: signupGrant });
    if (signupGrant > 0) {
      await manager.insert(CreditLedgerEntry, {
        userId,
        delta: signupGrant,
        balanceAfter: signupGrant,
        kind: CreditEntryKind.Grant,
        reason: 'Credits for a new account',
        actorId: null,
        taskId: null,
      });
    }
  }

  /**
   * Charging inside a statement that also records the task, for the submission path (one round
   * trip): CTEs `charge` (the conditional decrement; no row when the balance is short or the
   * amount is 0) and `charge_entry` (its ledger row). The arguments name the statement's parameters.
   */
  static chargeInStatement(p: { user: string; amount: string; task: string; reason: string }): string {
    return `charge AS (
        UPDATE credit_accounts SET balance = balance - ${p.amount}::integer, updated_at = now()
         WHERE user_id = ${p.user}::uuid AND ${p.amount}::integer > 0 AND balance >= ${p.amount}::integer
         RETURNING balance),
      charge_entry AS (
        INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason)
        SELECT ${p.user}::uuid, -${p.amount}::integer, charge.balance, 'charge'::credit_entry_kind, ${p.task}::uuid, ${p.reason}::text FROM charge
        RETURNING id)`;
  }

  /** The 402 for a charge that found too few credits. */
  async notEnough(userId: string, amount: number, manager: EntityManager = this.dataSource.manager): Promise<never> {
    await this.ensureCovers(userId, amount, manager);
    // The balance was topped up since the charge was refused; the charge still was.
    throw new HttpException({ message: say(`Not enough credits: this costs ${amount}`, `积分不足：需要 ${amount} 积分`) }, HttpStatus.PAYMENT_REQUIRED);
  }

  /** Fails with 402 unless the balance covers `amount` now. Reserves nothing: `charge` is the atomic step. */
  async ensureCovers(userId: string, amount: number, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const [account] = await manager.query(`SELECT balance FROM credit_accounts WHERE user_id = $1`, [userId]);
    const balance: number = account?.balance ?? 0;
    if (balance < amount) {
      throw new HttpException({ message: say(`Not enough credits: this costs ${amount}, your balance is ${balance}`, `积分不足：需要 ${amount} 积分，当前余额 ${balance}`) }, HttpStatus.PAYMENT_REQUIRED);
    }
  }

  /** Takes `amount` (more than 0) for a task, or fails with 402 leaving everything as it was. */
  async charge(manager: EntityManager, userId: string, amount: number, taskId: string, reason: string): Promise<number> {
    const [charged]: Array<{ balance: number }> = await manager.query(
      `WITH ${CreditsService.chargeInStatement({ user: '$1', amount: '$2', task: '$3', reason: '$4' })} SELECT balance FROM charge`,
      [userId, amount, taskId, reason],
    );
    // Read in the caller's transaction: a second connection from the pool could wait forever
    // when every connection is held by such a transaction.
    if (!charged) return this.notEnough(userId, amount, manager);
    return charged.balance;
  }

  /**
   * Gives back what a task was charged. Returns false when there is nothing to refund or it was
   * refunded already: the unique index on refunds makes a second one a no-op even under races.
   */
  async refund(manager: EntityManager, taskId: string, reason: string): Promise<boolean> {
    const [charge] = await manager.query(`SELECT user_id, -delta AS amount FROM credit_ledger WHERE task_id = $1 AND kind = 'charge'`, [taskId]);
    if (!charge) return false;
    const [account] = await manager.query(`SELECT balance FROM credit_accounts WHERE user_id = $1 FOR UPDATE`, [charge.user_id]);
    const inserted = await manager.query(
      `INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason)
       VALUES ($1, $2, $3, 'refund', $4, $5)
       ON CONFLICT (task_id) WHERE kind = 'refund' DO NOTHING RETURNING id`,
      [charge.user_id, charge.amount, account.balance + charge.amount, taskId, reason],
    );
    if (inserted.length === 0) return false;
    await manager.query(`UPDATE credit_accounts SET balance = balance + $2, updated_at = now() WHERE user_id = $1`, [charge.user_id, charge.amount]);
    return true;
  }

  /** An admin's grant (positive) or deduction (negative, never below zero). */
  async grant(actor: User, dto: GrantCreditsDto): Promise<GrantResultDto> {
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.findOne(CreditAccount, { where: { userId: dto.userId }, lock: { mode: 'pessimistic_write' } });
      if (!account) throw fieldError('userId', say('No user with this id', '没有这个 ID 的用户'));
      const balance = account.balance + dto.amount;
      if (balance < 0) throw new ConflictException(say(`Cannot deduct ${-dto.amount}: the balance is only ${account.balance}`, `无法扣除 ${-dto.amount} 积分：余额只有 ${account.balance}`));
      await manager.update(CreditAccount, { userId: dto.userId }, { balance });
      const entry = await manager.save(
        manager.create(CreditLedgerEntry, {
          userId: dto.userId,
          delta: dto.amount,
          balanceAfter: balance,
          kind: dto.amount > 0 ? CreditEntryKind.Grant : CreditEntryKind.Adjust,
          reason: dto.reason,
          actorId: actor.id,
          taskId: null,
        }),
      );
      return { userId: dto.userId, balance, entry: mapLedgerEntry(entry) };
    });
  }

  async balance(userId: string): Promise<CreditBalanceDto> {
    const account = await this.dataSource.getRepository(CreditAccount).findOneBy({ userId });
    const recent = await this.dataSource.getRepository(CreditLedgerEntry).find({ where: { userId }, order: { createdAt: 'DESC', id: 'DESC' }, take: 10 });
    const { topUpMessage } = await this.settings();
    return { balance: account?.balance ?? 0, recent: await this.entries(recent), topUpMessage };
  }

  async ledger(userId: string, query: LedgerQueryDto): Promise<CreditLedgerPageDto> {
    const limit = query.limit ?? 30;
    const builder = this.dataSource
      .getRepository(CreditLedgerEntry)
      .createQueryBuilder('entry')
      .where('entry.user_id = :userId', { userId })
      .orderBy('entry.created_at', 'DESC')
      .addOrderBy('entry.id', 'DESC')
      .take(limit + 1);
    if (query.cursor) builder.andWhere('(entry.created_at, entry.id) < (:createdAt, :id)', decodeCursor(query.cursor));
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: await this.entries(items),
      nextCursor: rows.length > limit ? encodeCursor(last) : null,
    };
  }
}
