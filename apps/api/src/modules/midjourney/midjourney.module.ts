import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HistoryModule } from '../history/history.module.js';
import { ProviderRegistry } from '../scheduler/provider-registry.js';
import { MidjourneySettings } from './midjourney-settings.entity.js';
import { MidjourneySettingsService } from './midjourney-settings.service.js';
import { MidjourneyAdapter } from './midjourney.adapter.js';
import { MidjourneyController } from './midjourney.controller.js';
import { MidjourneyService } from './midjourney.service.js';

/** Midjourney through midjourney-proxy (trueai or novicezk): settings, the action catalogue, routes and the task engine adapter. */
@Module({
  imports: [TypeOrmModule.forFeature([MidjourneySettings]), HistoryModule],
  controllers: [MidjourneyController],
  providers: [MidjourneySettingsService, MidjourneyAdapter, MidjourneyService],
})
export class MidjourneyModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly adapter: MidjourneyAdapter,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.adapter);
  }
}
