import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SystemInfoDto } from './system.dto.js';
import { SystemService } from './system.service.js';

@ApiTags('System')
@Controller('system')
export class SystemController {
  constructor(private readonly service: SystemService) {}

  @Get('info')
  @ApiOperation({ summary: 'Public facts about this server: version, whether any account exists yet, and whether the provider sandbox is on' })
  @ApiOkResponse({ type: SystemInfoDto })
  getSystemInfo(): Promise<SystemInfoDto> {
    return this.service.getInfo();
  }
}
