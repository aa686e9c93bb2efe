import { Controller, Get, Inject, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { DatabaseUnavailableException } from '../../database/availability.js';

/**
 * A database that does not answer within this time counts as down: health checks (Docker,
 * load balancers) must get an answer, not a hanging request.
 */
const DATABASE_CHECK_TIMEOUT_MS = 1500;

export class HealthDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';

  @ApiProperty({ enum: ['up'] })
  database: 'up';

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'Seconds since this instance started' })
  uptimeSeconds: number;
}

@ApiTags('Health')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and database status' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The database is unreachable' })
  async getHealth(): Promise<HealthDto> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), DATABASE_CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } catch {
      throw new DatabaseUnavailableException();
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ok', database: 'up', version: this.config.version, uptimeSeconds: Math.round(process.uptime()) };
  }
}
