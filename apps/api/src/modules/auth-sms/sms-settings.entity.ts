import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export enum SmsProvider {
  Smsbao = 'smsbao',
  Sandbox = 'sandbox',
}

/** The one row of SMS settings an admin edits; absent until first saved (defaults apply). */
@Entity('sms_settings')
@Check('CHK_sms_settings_single_row', `"id" = 1`)
export class SmsSettings {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  @Column({ type: 'enum', enum: SmsProvider, enumName: 'sms_provider' })
  provider: SmsProvider;

  @Column({ type: 'boolean' })
  enabled: boolean;

  @Column({ type: 'varchar', length: 100, nullable: true })
  username: string | null;

  /** AES-256-GCM, see SecretBox; never returned by the API. */
  @Column({ name: 'password_encrypted', type: 'text', nullable: true })
  passwordEncrypted: string | null;

  @Column({ name: 'base_url', type: 'varchar', length: 500 })
  baseUrl: string;

  @Column({ type: 'varchar', length: 30 })
  signature: string;

  @Column({ type: 'varchar', length: 300 })
  template: string;

  @Column({ name: 'cooldown_seconds', type: 'integer' })
  cooldownSeconds: number;

  @Column({ name: 'max_per_phone_per_day', type: 'integer' })
  maxPerPhonePerDay: number;

  @Column({ name: 'max_per_ip_per_hour', type: 'integer' })
  maxPerIpPerHour: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
