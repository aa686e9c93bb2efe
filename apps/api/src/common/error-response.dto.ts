import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './errors.js';

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
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    description:
      'A stable, machine-readable reason, where a client may act on it. `account_disabled` (401): an admin disabled the account. ' +
      '`cancel_not_refunded` (409 from a cancel): the task has started at the provider, so canceling it would not refund its credits; ' +
      'it keeps running until the cancel is sent again with `{ "acceptLoss": true }`',
  })
  errorCode?: ErrorCode;
}
