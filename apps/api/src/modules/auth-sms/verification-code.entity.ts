import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum SmsCodePurpose {
  Register = 'register',
  Login = 'login',
  Bind = 'bind',
  Change = 'change',
  /** A forgotten password, reset with a code sent to the account's phone. */
  Reset = 'reset',
}

export enum VerificationCodeStatus {
  Active = 'active',
  Used = 'used',
  /** Replaced by a newer code, or killed by too many wrong tries. */
  Invalidated = 'invalidated',
}

/** An SMS code, stored as a keyed hash. At most one active code per phone and purpose. */
@Entity('verification_codes')
@Index('UQ_verification_codes_active', ['phone', 'purpose'], { unique: true, where: `"status" = 'active'` })
@Index('IDX_verification_codes_expires_at', ['expiresAt'])
export class VerificationCode {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 20 })
  phone: string;

  @Column({ type: 'enum', enum: SmsCodePurpose, enumName: 'sms_code_purpose' })
  purpose: SmsCodePurpose;

  @Column({ name: 'code_hash', type: 'char', length: 64 })
  codeHash: string;

  @Column({ type: 'enum', enum: VerificationCodeStatus, enumName: 'verification_code_status', default: VerificationCodeStatus.Active })
  status: VerificationCodeStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
