import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One SMS the provider accepted: the record the sending limits count. */
@Entity('sms_sends')
@Index('IDX_sms_sends_phone_sent_at', ['phone', 'sentAt'])
@Index('IDX_sms_sends_ip_sent_at', ['ip', 'sentAt'])
export class SmsSend {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 20 })
  phone: string;

  @Column({ type: 'varchar', length: 64 })
  ip: string;

  @Column({ type: 'varchar', length: 20 })
  kind: string;

  @Column({ name: 'sent_at', type: 'timestamptz', default: () => 'now()' })
  sentAt: Date;
}
