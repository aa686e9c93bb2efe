import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { AuthService } from './auth.service.js';
import type { AuthContext } from './auth.types.js';
import { OptionalAuth, OptionalAuthentication } from './authenticated.decorator.js';
import { AuthResponseDto, SignInWithPhonePasswordDto } from './dto/auth.dto.js';
import { ResetPasswordDto, SendSmsCodeDto, SignInWithPhoneDto, SignUpWithPhoneDto, SmsCodeSentDto, SmsCodeValidDto, VerifySmsCodeDto } from './dto/sms.dto.js';
import { SmsCodeService } from './sms-code.service.js';

@ApiTags('Authentication')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A field is missing or invalid, or the code is wrong or expired' })
@Controller('auths')
export class PhoneAuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly smsCodes: SmsCodeService,
  ) {}

  @Post('send-sms-code')
  @HttpCode(200)
  @OptionalAuthentication()
  @ApiOperation({
    summary: 'Send a 6-digit code by SMS',
    description:
      'register and bind/change refuse a phone that is taken (409); login and reset refuse an unknown phone (404). bind and change need a signed-in caller. ' +
      'At most one code per phone per cooldown, a daily cap per phone and an hourly cap per IP (429 with Retry-After).',
  })
  @ApiOkResponse({ type: SmsCodeSentDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The SMS provider refused the message; its reason is in the message' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'SMS is not configured' })
  sendSmsCode(@Body() dto: SendSmsCodeDto, @Ip() ip: string, @OptionalAuth() auth: AuthContext | null): Promise<SmsCodeSentDto> {
    return this.smsCodes.send(dto.phone, dto.purpose, ip, auth?.user ?? null);
  }

  @Post('verify-sms-code')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check a code without using it up (a wrong code costs one of its 5 tries)' })
  @ApiOkResponse({ type: SmsCodeValidDto })
  async verifySmsCode(@Body() dto: VerifySmsCodeDto): Promise<SmsCodeValidDto> {
    await this.smsCodes.check(dto.phone, dto.purpose, dto.code);
    return { valid: true };
  }

  @Post('signup-phone')
  @ApiOperation({ summary: 'Create an account with a phone number and an SMS code (purpose register)' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  signUpWithPhone(@Body() dto: SignUpWithPhoneDto): Promise<AuthResponseDto> {
    return this.auth.signUpWithPhone(dto);
  }

  @Post('signin-phone')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a phone number and an SMS code (purpose login)' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  signInWithPhone(@Body() dto: SignInWithPhoneDto): Promise<AuthResponseDto> {
    return this.auth.signInWithPhone(dto);
  }

  @Post('signin-phone-password')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a phone number and the password the account has' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong phone number or password, or the account is disabled' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Too many attempts; see the Retry-After header' })
  signInWithPhonePassword(@Body() dto: SignInWithPhonePasswordDto, @Ip() ip: string): Promise<AuthResponseDto> {
    return this.auth.signInWithPhonePassword(dto, ip);
  }

  @Post('reset-password')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set a new password with an SMS code (purpose reset), for a forgotten password',
    description: 'Ends every session of the account (API keys keep working) and signs the caller in.',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'The account no longer uses this phone, or is disabled' })
  resetPassword(@Body() dto: ResetPasswordDto): Promise<AuthResponseDto> {
    return this.auth.resetPassword(dto);
  }
}
