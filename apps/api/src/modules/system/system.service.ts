import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { SystemInfoDto } from './system.dto.js';

@Injectable()
export class SystemService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async getInfo(): Promise<SystemInfoDto> {
    const enabled = this.config.sandbox.enabled;
    // Once an account exists, this says only that: never how many, or whose.
    const [{ any }] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM users) AS any`);
    return {
      version: this.config.version,
      hasAccounts: any,
      sandbox: { enabled, path: enabled ? '/sandbox' : null, smsOutboxPath: enabled ? '/sandbox/_control/sms' : null },
    };
  }
}
