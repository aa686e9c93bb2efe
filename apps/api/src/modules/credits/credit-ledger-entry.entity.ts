import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum CreditEntryKind {
  Grant = 'grant',
  Charge = 'charge',
  Refund = 'refund',
  Adjust = 'adjust',
}

/**
 * The append-only record of every balance change. A task is charged at most once and refunded at
 * most once: unique indexes enforce it, whatever the code does.
 */
@Entity('credit_ledger')
@Index('IDX_credit_ledger_user_created', ['userId', 'createdAt', 'id'])
@Index('UQ_credit_ledger_task_charge', ['taskId'], { unique: true, where: `"kind" = 'charge'` })
@Index('UQ_credit_ledger_task_refund', ['taskId'], { unique: true, where: `"kind" = 'refund'` })
export class CreditLedgerEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'integer' })
  delta: number;

  @Column({ name: 'balance_after', type: 'integer' })
  balanceAfter: number;

  @Column({ type: 'enum', enum: CreditEntryKind, enumName: 'credit_entry_kind' })
  kind: CreditEntryKind;

  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId: string | null;

  @Column({ type: 'varchar', length: 300 })
  reason: string;

  /** Who made the change: an admin for grants and adjustments, null for the system. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  /** Milliseconds, like the JavaScript dates that carry it in page cursors, so no row falls between two pages. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
