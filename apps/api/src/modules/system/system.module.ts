import { Global, Module } from '@nestjs/common';
import { SandboxLocator } from './sandbox-locator.service.js';
import { SystemController } from './system.controller.js';
import { SystemService } from './system.service.js';

@Global()
@Module({ controllers: [SystemController], providers: [SystemService, SandboxLocator], exports: [SandboxLocator] })
export class SystemModule {}
