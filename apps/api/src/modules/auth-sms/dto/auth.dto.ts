import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { EmailField, NameField, NewPasswordField } from '../../../common/validation.js';
import { PhoneField } from './sms-fields.js';
import { UserDto } from './user.dto.js';

export class SignUpDto {
  @NameField()
  name: string;

  @EmailField()
  email: string;

  @NewPasswordField()
  password: string;
}

/** A password given to sign in: not length-checked beyond a sanity cap (a wrong length is just a wrong password). */
function SignInPasswordField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ format: 'password', maxLength: 128 }),
    IsString(),
    IsNotEmpty({ message: 'password must not be empty' }),
    MaxLength(128, { message: 'password must be at most 128 characters long' }),
  );
}

export class SignInDto {
  @EmailField()
  email: string;

  @SignInPasswordField()
  password: string;
}

export class SignInWithPhonePasswordDto {
  @PhoneField()
  phone: string;

  @SignInPasswordField()
  password: string;
}

export class AuthResponseDto {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`' })
  token: string;

  @ApiProperty({ description: 'Seconds until the token expires' })
  expiresIn: number;

  @ApiProperty({ type: () => UserDto })
  user: UserDto;
}
