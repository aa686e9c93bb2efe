import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller.js';
import { HistoryService } from './history.service.js';
import { ProviderTasks } from './provider-tasks.service.js';

/** The unified, read-only view of a user's generations across providers. */
@Module({
  controllers: [HistoryController],
  providers: [HistoryService, ProviderTasks],
  exports: [HistoryService, ProviderTasks],
})
export class HistoryModule {}
