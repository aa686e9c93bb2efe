import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreditAccount } from './credit-account.entity.js';
import { CreditLedgerEntry } from './credit-ledger-entry.entity.js';
import { CreditSettings } from './credit-settings.entity.js';
import { CreditsController } from './credits.controller.js';
import { CreditsService } from './credits.service.js';

/** Balances, the append-only ledger and the credit settings. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CreditAccount, CreditLedgerEntry, CreditSettings])],
  controllers: [CreditsController],
  providers: [CreditsService],
  exports: [CreditsService],
})
export class CreditsModule {}
