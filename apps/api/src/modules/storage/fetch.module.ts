import { Global, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { GuardedFetcher } from './guarded-fetcher.js';

/**
 * The sandbox is the one loopback service the app may fetch from, and only while it is mounted:
 * its URL prefixes on this server's own port join the configured allow-list.
 */
export function sandboxPrefixes(port: number): string[] {
  return ['127.0.0.1', 'localhost', '[::1]'].map((host) => `http://${host}:${port}/sandbox/`);
}

@Global()
@Module({
  providers: [
    {
      provide: GuardedFetcher,
      inject: [APP_CONFIG, HttpAdapterHost],
      useFactory: (config: AppConfig, adapterHost: HttpAdapterHost) =>
        new GuardedFetcher(() => {
          const address = adapterHost.httpAdapter?.getHttpServer()?.address() as AddressInfo | string | null | undefined;
          const port = typeof address === 'object' && address ? address.port : config.port;
          return config.sandbox.enabled ? [...config.fetchAllowList, ...sandboxPrefixes(port)] : config.fetchAllowList;
        }),
    },
  ],
  exports: [GuardedFetcher],
})
export class FetchModule {}
