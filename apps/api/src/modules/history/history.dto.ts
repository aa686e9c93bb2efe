import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class TaskIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'taskId must be a UUID' })
  taskId: string;
}
