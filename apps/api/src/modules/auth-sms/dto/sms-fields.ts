import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import { MAINLAND_MOBILE, normalizePhone } from '../phone.js';

/** A mainland mobile number: accepts +86/0086, spaces and dashes, and normalises to 11 digits. */
export function PhoneField() {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? (normalizePhone(value) ?? value) : value)),
    IsString({ message: 'phone must be a string' }),
    Matches(MAINLAND_MOBILE, { message: 'phone must be a mainland China mobile number such as 13800138000 (+86, spaces and dashes are accepted)' }),
    ApiProperty({ example: '13800138000', description: 'Mainland mobile number; +86/0086, spaces and dashes are accepted' }),
  );
}

/** The 6-digit code from an SMS. */
export function SmsCodeField() {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)),
    IsString({ message: 'code must be a string' }),
    Matches(/^\d{6}$/, { message: 'code must be the 6 digits from the SMS' }),
    ApiProperty({ example: '123456', pattern: '^\\d{6}$' }),
  );
}
