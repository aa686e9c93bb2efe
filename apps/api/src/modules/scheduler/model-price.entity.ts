import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An admin's price for one model; models without a row cost their catalogue default. */
@Entity('model_prices')
export class ModelPrice {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  provider: string;

  @PrimaryColumn({ type: 'varchar', length: 120 })
  model: string;

  @Column({ type: 'integer' })
  price: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
