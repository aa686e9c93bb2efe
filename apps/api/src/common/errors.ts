import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/** One bad field of a request, as reported in `details`. */
export interface FieldError {
  field: string;
  messages: string[];
}

/** The one JSON error shape of the API. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldError[];
  /** Where a client may act on the error (e.g. ask the user, then retry): see ErrorCode. */
  code?: ErrorCode;
}

/**
 * Machine-readable reasons a client may act on. `cancel_not_refunded`: the task has started at
 * the provider, which bills it, so canceling it would not refund its credits; it keeps running,
 * and the same cancel with `{ "acceptLoss": true }` cancels it anyway.
 */
export const ERROR_CODES = ['cancel_not_refunded'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An HTTP error that also carries a machine-readable `code`. */
export class CodedHttpException extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message, status);
  }
}

export class FieldValidationException extends BadRequestException {
  constructor(readonly details: FieldError[]) {
    super(details.map((d) => d.messages.join('; ')).join('; ') || 'Invalid request');
  }
}

/** Raises a 400 naming one field, for rules that only a service can check. */
export function fieldError(field: string, message: string): FieldValidationException {
  return new FieldValidationException([{ field, messages: [message] }]);
}

export class RateLimitedException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Flattens class-validator's nested errors into `details`, with dotted paths for nested fields. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      // A required field left out fails every rule; saying so once is clearer than listing them.
      result.push({ field, messages: error.value === undefined ? [`${field} is required`] : Object.values(error.constraints) });
    }
    if (error.children?.length) result.push(...flattenValidationErrors(error.children, field));
  }
  return result;
}
