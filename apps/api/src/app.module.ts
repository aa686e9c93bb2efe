import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { requestLogOptions } from './common/request-log.js';
import type { AppConfig } from './config/app-config.js';
import { LoggingModule } from './common/logging.js';
import { ConfigModule } from './config/config.module.js';
import { dataSourceOptions } from './database/data-source.js';
import { AuthSmsModule } from './modules/auth-sms/auth-sms.module.js';
import { FluxModule } from './modules/flux/flux.module.js';
import { JimengModule } from './modules/jimeng/jimeng.module.js';
import { KlingModule } from './modules/kling/kling.module.js';
import { MidjourneyModule } from './modules/midjourney/midjourney.module.js';
import { HistoryModule } from './modules/history/history.module.js';
import { HealthController } from './modules/health/health.controller.js';
import { RateLimitModule } from './modules/rate-limit/rate-limit.module.js';
import { CreditsModule } from './modules/credits/credits.module.js';
import { FetchModule } from './modules/storage/fetch.module.js';
import { SchedulerModule } from './modules/scheduler/scheduler.module.js';
import { StorageModule } from './modules/storage/storage.module.js';
import { SystemModule } from './modules/system/system.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  /** Omitted only to describe the API (OpenAPI generation) without a database. */
  databaseUrl?: string;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(requestLogOptions(config)),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(databaseUrl ?? 'postgres://localhost/unused', config.databaseTimeouts),
          manualInitialization: databaseUrl === undefined,
        }),
        ScheduleModule.forRoot(),
        RateLimitModule,
        FetchModule,
        CreditsModule,
        AuthSmsModule,
        StorageModule,
        SchedulerModule,
        HistoryModule,
        FluxModule,
        KlingModule,
        JimengModule,
        MidjourneyModule,
        SystemModule,
      ],
      controllers: [HealthController],
    };
  }
}
