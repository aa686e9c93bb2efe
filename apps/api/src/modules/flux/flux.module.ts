import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HistoryModule } from '../history/history.module.js';
import { ProviderRegistry } from '../scheduler/provider-registry.js';
import { FluxSettings } from './flux-settings.entity.js';
import { FluxSettingsService } from './flux-settings.service.js';
import { FluxAdapter } from './flux.adapter.js';
import { FluxController } from './flux.controller.js';
import { FluxService } from './flux.service.js';

/** FLUX on fal.ai: settings, the model catalogue, submission routes and the task engine adapter. */
@Module({
  imports: [TypeOrmModule.forFeature([FluxSettings]), HistoryModule],
  controllers: [FluxController],
  providers: [FluxSettingsService, FluxAdapter, FluxService],
})
export class FluxModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly adapter: FluxAdapter,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.adapter);
  }
}
