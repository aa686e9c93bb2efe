import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { IdParamDto } from '../../common/id-param.dto.js';
import { ApiKeysService } from './api-keys.service.js';
import type { AuthContext } from './auth.types.js';
import { Auth, Authenticated } from './authenticated.decorator.js';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

@ApiTags('API keys')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly service: ApiKeysService) {}

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Create an API key', description: 'The secret is returned once and stored hashed.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  createApiKey(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.service.create(auth.user, dto);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'List my API keys' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  listApiKeys(@Auth() auth: AuthContext): Promise<ApiKeyDto[]> {
    return this.service.list(auth.user);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Delete one of my API keys' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  deleteApiKey(@Auth() auth: AuthContext, @Param() { id }: IdParamDto): Promise<void> {
    return this.service.delete(auth.user, id);
  }
}
