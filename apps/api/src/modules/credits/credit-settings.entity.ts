import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The one row of credit settings; absent until an admin saves it (defaults apply). */
@Entity('credit_settings')
@Check('CHK_credit_settings_single_row', `"id" = 1`)
export class CreditSettings {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  @Column({ name: 'signup_grant', type: 'integer' })
  signupGrant: number;

  /** Shown to users whose balance is below a price: how to get credits (a contact, a top-up link). */
  @Column({ name: 'top_up_message', type: 'varchar', length: 500, nullable: true })
  topUpMessage: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
