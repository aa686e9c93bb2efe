import { BadRequestException, HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
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
  /**
   * A stable, machine-readable reason where a client reacts in its own way: `account_disabled`
   * (401: say why the session ended), `cancel_not_refunded` (409: ask, then cancel again with
   * `acceptLoss`).
   */
  errorCode?: ErrorCode;
}

/**
 * Machine-readable reasons a client may act on. `account_disabled`: an admin disabled the account.
 * `cancel_not_refunded`: the task has started at the provider, which bills it, so canceling it
 * would not refund its credits; it keeps running, and the same cancel with `{ "acceptLoss": true }`
 * cancels it anyway.
 */
export const ERROR_CODES = ['account_disabled', 'cancel_not_refunded'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An HTTP error that also carries an `errorCode` (Nest's own exception option). */
export class CodedHttpException extends HttpException {
  constructor(status: number, message: string, errorCode: ErrorCode) {
    super(message, status, { errorCode });
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
      // A required field left out fails every rule, and so does null where no rule allows it; saying
      // so once is clearer than listing them.
      const messages =
        error.value === undefined ? [`${field} is required`] : error.value === null ? [`${field} must not be null (leave out an optional field instead)`] : Object.values(error.constraints);
      result.push({ field, messages });
    }
    if (error.children?.length) result.push(...flattenValidationErrors(error.children, field));
  }
  return result;
}

/**
 * A disabled account's token, key or sign-in: a 401 like any other, with `errorCode`
 * `account_disabled` (Nest's own exception option), so a client can say why the session ended.
 */
export class AccountDisabledException extends UnauthorizedException {
  constructor(message: string) {
    super(message, { errorCode: 'account_disabled' satisfies ErrorCode });
  }
}
