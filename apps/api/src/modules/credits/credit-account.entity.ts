import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../auth-sms/user.entity.js';

/** A user's credit balance; the database refuses a negative one. */
@Entity('credit_accounts')
@Check('CHK_credit_accounts_balance_not_negative', `"balance" >= 0`)
export class CreditAccount {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_credit_accounts_user_id' })
  user?: User;

  @Column({ type: 'integer', default: 0 })
  balance: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
