import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { SystemInfoDto } from './system.dto.js';

@Injectable()
export class SystemService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  getInfo(): SystemInfoDto {
    const enabled = this.config.sandbox.enabled;
    return {
      version: this.config.version,
      sandbox: { enabled, path: enabled ? '/sandbox' : null, smsOutboxPath: enabled ? '/sandbox/_control/sms' : null },
    };
  }
}
