import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, Length, MaxLength, ValidateIf } from 'class-validator';

/**
 * An optional field of a request body: left out (undefined) it is not checked, but null is checked
 * like any other value, so `{ "baseUrl": null }` is a 400 naming the field rather than a null
 * reaching a service that expects a string (class-validator's IsOptional lets null through too).
 */
export function Optional() {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** An email address, trimmed and lower-cased so uniqueness is case-insensitive. */
export function EmailField(options: { optional?: boolean } = {}) {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value)),
    IsEmail({}, { message: 'email must be a valid email address' }),
    MaxLength(254),
    options.optional
      ? applyDecorators(Optional(), ApiPropertyOptional({ format: 'email', example: 'ada@example.com', maxLength: 254 }))
      : ApiProperty({ format: 'email', example: 'ada@example.com', maxLength: 254 }),
  );
}

/** A new password: 8 to 128 characters. */
export function NewPasswordField(options: { optional?: boolean; name?: string } = {}) {
  const property = { format: 'password', minLength: 8, maxLength: 128, example: 'correct horse battery' };
  return applyDecorators(
    IsString(),
    Length(8, 128, { message: `${options.name ?? 'password'} must be between 8 and 128 characters long` }),
    options.optional ? applyDecorators(Optional(), ApiPropertyOptional(property)) : ApiProperty(property),
  );
}

/** A display name: trimmed, 1 to 100 characters. */
export function NameField(options: { optional?: boolean } = {}) {
  const property = { minLength: 1, maxLength: 100, example: 'Ada Lovelace' };
  return applyDecorators(
    trim,
    IsString(),
    IsNotEmpty({ message: 'name must not be empty' }),
    MaxLength(100),
    options.optional ? applyDecorators(Optional(), ApiPropertyOptional(property)) : ApiProperty(property),
  );
}

/** A case-insensitive "contains" pattern for ILIKE, with the user's own % and _ taken literally. */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
