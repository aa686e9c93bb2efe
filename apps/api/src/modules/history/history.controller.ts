import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { HistoryQueryDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { TaskIdParamDto } from './history.dto.js';
import { HistoryService } from './history.service.js';

@ApiTags('History')
@Controller('history')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'My generations across every provider, newest first, cursor pagination' })
  @ApiOkResponse({ type: TaskPageDto })
  getHistory(@Auth() auth: AuthContext, @Query() query: HistoryQueryDto): Promise<TaskPageDto> {
    return this.history.list(auth.user.id, query);
  }

  @Delete(':taskId')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Delete a finished generation and its files' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Still running: cancel it first' })
  deleteHistoryItem(@Auth() auth: AuthContext, @Param() { taskId }: TaskIdParamDto): Promise<void> {
    return this.history.delete(auth.user.id, taskId);
  }
}
