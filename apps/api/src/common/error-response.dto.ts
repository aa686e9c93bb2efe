import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  field: string;

  @ApiProperty({ type: [String], example: ['email must be a valid email address'] })
  messages: string[];
}

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'email must be a valid email address' })
  message: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'One entry per bad field' })
  details?: FieldErrorDto[];

  @ApiPropertyOptional({
    enum: ['account_disabled'],
    enumName: 'ErrorCode',
    description: 'A stable name for failures clients word or handle themselves: `account_disabled` (401) when the account was disabled by an admin',
  })
  errorCode?: 'account_disabled';
}
