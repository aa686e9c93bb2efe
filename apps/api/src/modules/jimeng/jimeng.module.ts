import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HistoryModule } from '../history/history.module.js';
import { ProviderRegistry } from '../scheduler/provider-registry.js';
import { JimengSettings } from './jimeng-settings.entity.js';
import { JimengSettingsService } from './jimeng-settings.service.js';
import { JimengAdapter } from './jimeng.adapter.js';
import { JimengController } from './jimeng.controller.js';
import { JimengService } from './jimeng.service.js';

/** Jimeng on Volcengine: videos and DreamWork images; settings, catalogue, submission routes and the task engine adapter. */
@Module({
  imports: [TypeOrmModule.forFeature([JimengSettings]), HistoryModule],
  controllers: [JimengController],
  providers: [JimengSettingsService, JimengAdapter, JimengService],
})
export class JimengModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly adapter: JimengAdapter,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.adapter);
  }
}
