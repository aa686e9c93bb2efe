import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEnum, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { EmailField, NameField, NewPasswordField, Optional } from '../../../common/validation.js';
import { PhoneField, SmsCodeField } from './sms-fields.js';
import { SmsProvider } from '../sms-settings.entity.js';
import { SmsCodePurpose } from '../verification-code.entity.js';

const purposeProperty = { enum: SmsCodePurpose, enumName: 'SmsCodePurpose' } as const;
const purposeMessage = `purpose must be one of: ${Object.values(SmsCodePurpose).join(', ')}`;

export class SendSmsCodeDto {
  @PhoneField()
  phone: string;

  @ApiProperty({ ...purposeProperty, description: 'register, login and reset (a forgotten password) need no sign-in; bind and change (a new phone for this account) do' })
  @IsEnum(SmsCodePurpose, { message: purposeMessage })
  purpose: SmsCodePurpose;
}

export class SmsCodeSentDto {
  @ApiProperty({ description: 'Seconds the code stays valid', example: 300 })
  expiresInSeconds: number;

  @ApiProperty({ description: 'Seconds before another code can be requested for this phone', example: 60 })
  cooldownSeconds: number;
}

export class VerifySmsCodeDto {
  @PhoneField()
  phone: string;

  @SmsCodeField()
  code: string;

  @ApiProperty(purposeProperty)
  @IsEnum(SmsCodePurpose, { message: purposeMessage })
  purpose: SmsCodePurpose;
}

export class SmsCodeValidDto {
  @ApiProperty({ enum: [true] })
  valid: true;
}

export class SignUpWithPhoneDto {
  @PhoneField()
  phone: string;

  @SmsCodeField()
  code: string;

  @NameField()
  name: string;

  @NewPasswordField()
  password: string;
}

export class SignInWithPhoneDto {
  @PhoneField()
  phone: string;

  @SmsCodeField()
  code: string;
}

export class ResetPasswordDto {
  @PhoneField()
  phone: string;

  @SmsCodeField()
  code: string;

  @NewPasswordField({ name: 'newPassword' })
  newPassword: string;
}

export class BindPhoneDto {
  @PhoneField()
  phone: string;

  @SmsCodeField()
  code: string;
}

export class BindEmailDto {
  @EmailField()
  email: string;

  @ApiProperty({
    format: 'password',
    minLength: 8,
    maxLength: 128,
    description: 'The current password; or, for an account without one, the password to set',
  })
  @IsString()
  @MaxLength(128)
  password: string;
}

export class BindingStatusDto {
  @ApiProperty({ type: String, nullable: true, example: '13800138000' })
  phone: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'email' })
  email: string | null;

  @ApiProperty()
  hasPassword: boolean;

  @ApiProperty({ description: 'False when the phone is the only way to sign in' })
  canUnbindPhone: boolean;

  @ApiProperty({ description: 'False when email and password are the only way to sign in' })
  canUnbindEmail: boolean;
}

export class SmsConfigDto {
  @ApiProperty({ enum: SmsProvider, enumName: 'SmsProvider' })
  provider: SmsProvider;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, nullable: true })
  username: string | null;

  @ApiProperty({ description: 'Whether a password is stored; the password itself is never returned' })
  passwordSet: boolean;

  @ApiProperty({ example: 'https://api.smsbao.com' })
  baseUrl: string;

  @ApiProperty({ example: '【Atelier】' })
  signature: string;

  @ApiProperty({ example: '您的验证码是{code}，{minutes}分钟内有效。' })
  template: string;

  @ApiProperty({ example: 60 })
  cooldownSeconds: number;

  @ApiProperty({ example: 10 })
  maxPerPhonePerDay: number;

  @ApiProperty({ example: 20 })
  maxPerIpPerHour: number;

  @ApiProperty({ description: 'Whether this server runs the provider sandbox (so the sandbox provider can be chosen)' })
  sandboxAvailable: boolean;

  @ApiProperty({ description: 'Whether messages currently go to the sandbox outbox instead of a real provider' })
  usesSandbox: boolean;

  @ApiProperty({ description: 'False until an admin saves these settings (defaults apply)' })
  saved: boolean;
}

export class SaveSmsConfigDto {
  @ApiProperty({ enum: SmsProvider, enumName: 'SmsProvider' })
  @IsEnum(SmsProvider, { message: `provider must be one of: ${Object.values(SmsProvider).join(', ')}` })
  provider: SmsProvider;

  @ApiProperty()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled: boolean;

  @ApiPropertyOptional({ maxLength: 100 })
  @Optional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(100)
  username?: string;

  @ApiPropertyOptional({ format: 'password', maxLength: 200, description: 'Leave empty to keep the stored password' })
  @Optional()
  @IsString()
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional({ example: 'https://api.smsbao.com', description: 'Base URL of the smsbao API' })
  @Optional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'baseUrl must be an http(s) URL' })
  @MaxLength(500)
  baseUrl?: string;

  @ApiProperty({ example: '【Atelier】', description: 'Full-width brackets around 3 to 10 characters (smsbao rule)' })
  @IsString()
  @Matches(/^【[^【】]{3,10}】$/u, { message: 'signature must be 3 to 10 characters inside full-width brackets, e.g. 【Atelier】' })
  signature: string;

  @ApiProperty({ example: '您的验证码是{code}，{minutes}分钟内有效。', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  @Matches(/\{code\}/, { message: 'template must contain {code}' })
  template: string;

  @ApiPropertyOptional({ minimum: 30, maximum: 3600, default: 60 })
  @Optional()
  @IsInt()
  @Min(30)
  @Max(3600)
  cooldownSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 10 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxPerPhonePerDay?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000, default: 20 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(100000)
  maxPerIpPerHour?: number;
}

export class SendTestSmsDto {
  @PhoneField()
  phone: string;
}

export class SmsTestResultDto {
  @ApiProperty({ enum: [true] })
  sent: true;
}

export class SmsBalanceDto {
  @ApiProperty({ description: 'Messages sent so far' })
  sent: number;

  @ApiProperty({ description: 'Messages the account can still send' })
  remaining: number;
}
