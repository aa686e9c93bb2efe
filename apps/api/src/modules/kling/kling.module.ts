import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HistoryModule } from '../history/history.module.js';
import { ProviderRegistry } from '../scheduler/provider-registry.js';
import { KlingSettings } from './kling-settings.entity.js';
import { KlingSettingsService } from './kling-settings.service.js';
import { KlingAdapter } from './kling.adapter.js';
import { KlingController } from './kling.controller.js';
import { KlingService } from './kling.service.js';

/** Kling AI videos: settings, the model catalogue, submission routes and the task engine adapter. */
@Module({
  imports: [TypeOrmModule.forFeature([KlingSettings]), HistoryModule],
  controllers: [KlingController],
  providers: [KlingSettingsService, KlingAdapter, KlingService],
})
export class KlingModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly adapter: KlingAdapter,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.adapter);
  }
}
