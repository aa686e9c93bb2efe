import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE } from '../../../common/page-query.dto.js';
import { NameField, NewPasswordField, Optional } from '../../../common/validation.js';
import { User, UserRole, UserStatus } from '../user.entity.js';

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, nullable: true, format: 'email' })
  email: string | null;

  @ApiProperty({ type: String, nullable: true, example: '13800138000' })
  phone: string | null;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole' })
  role: UserRole;

  @ApiProperty({ enum: UserStatus, enumName: 'UserStatus' })
  status: UserStatus;

  @ApiProperty({ description: 'Whether the account can sign in with a password' })
  hasPassword: boolean;

  @ApiProperty({ description: 'An admin set the password: the user should choose a new one' })
  mustChangePassword: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function mapUser(user: User): UserDto {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    phone: user.phone,
    role: user.role,
    status: user.status,
    hasPassword: user.passwordHash !== null,
    mustChangePassword: user.mustChangePassword,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export class UpdateMyUserDto {
  @NameField({ optional: true })
  name?: string;

  @ApiPropertyOptional({ format: 'password', maxLength: 128, description: 'Required to change the password' })
  @Optional()
  @IsString()
  @MaxLength(128)
  currentPassword?: string;

  @NewPasswordField({ optional: true, name: 'newPassword' })
  newPassword?: string;
}

export class UpdatedMyUserDto extends UserDto {
  @ApiPropertyOptional({
    description: 'Only when the password changed: a new token for this session. Every token issued before (this request’s too) no longer works; API keys do.',
  })
  token?: string;

  @ApiPropertyOptional({ description: 'Seconds until the new token expires' })
  expiresIn?: number;
}

export class AdminSetPasswordDto {
  @NewPasswordField({ name: 'newPassword' })
  newPassword: string;
}

export class SearchUsersQueryDto {
  @ApiPropertyOptional({ description: 'Matches name, email or phone (case-insensitive, partial)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be an integer' })
  @Min(1)
  @Max(MAX_PAGE)
  page?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be an integer' })
  @Min(1)
  @Max(100)
  pageSize?: number;
}

export class AdminUserDto extends UserDto {
  @ApiProperty({ description: 'Credits the user has now' })
  creditBalance: number;
}

export class UserPageDto {
  @ApiProperty({ type: () => [AdminUserDto] })
  items: AdminUserDto[];

  @ApiProperty({ type: 'integer' })
  total: number;

  @ApiProperty({ type: 'integer' })
  page: number;

  @ApiProperty({ type: 'integer' })
  pageSize: number;
}

export class AdminUpdateUserDto {
  @ApiPropertyOptional({ enum: UserRole, enumName: 'UserRole' })
  @Optional()
  @IsEnum(UserRole, { message: `role must be one of: ${Object.values(UserRole).join(', ')}` })
  role?: UserRole;

  @ApiPropertyOptional({ enum: UserStatus, enumName: 'UserStatus' })
  @Optional()
  @IsEnum(UserStatus, { message: `status must be one of: ${Object.values(UserStatus).join(', ')}` })
  status?: UserStatus;
}
