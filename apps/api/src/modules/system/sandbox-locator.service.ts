import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/** Where this server's own sandbox answers, for provider clients that default to it. */
@Injectable()
export class SandboxLocator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get enabled(): boolean {
    return this.config.sandbox.enabled;
  }

  /** The port this server listens on (known once it listens; the configured one before). */
  port(): number {
    const address = this.adapterHost.httpAdapter?.getHttpServer()?.address() as AddressInfo | string | null | undefined;
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  /** Base URL of a sandboxed provider, e.g. `url('smsbao')` → http://127.0.0.1:3000/sandbox/smsbao. */
  url(provider: string): string {
    return `http://127.0.0.1:${this.port()}/sandbox/${provider}`;
  }

  /** URL prefixes of the sandbox on this server, for the guarded fetcher's allow-list. */
  prefixes(): string[] {
    return ['127.0.0.1', 'localhost', '[::1]'].map((host) => `http://${host}:${this.port()}/sandbox/`);
  }
}
