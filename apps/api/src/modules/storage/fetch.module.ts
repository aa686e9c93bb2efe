import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import { GuardedFetcher } from './guarded-fetcher.js';

/**
 * The sandbox is the one loopback service the app may fetch from, and only while it is mounted:
 * its URL prefixes on this server's own port join the configured allow-list.
 */
@Global()
@Module({
  providers: [
    {
      provide: GuardedFetcher,
      inject: [APP_CONFIG, SandboxLocator],
      useFactory: (config: AppConfig, sandbox: SandboxLocator) =>
        new GuardedFetcher(() => (sandbox.enabled ? [...config.fetchAllowList, ...sandbox.prefixes()] : config.fetchAllowList)),
    },
  ],
  exports: [GuardedFetcher],
})
export class FetchModule implements OnApplicationShutdown {
  constructor(private readonly fetcher: GuardedFetcher) {}

  /** Its kept-alive connections go with the app. */
  async onApplicationShutdown(): Promise<void> {
    await this.fetcher.close();
  }
}
