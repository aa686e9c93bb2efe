import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { AuthService } from './auth.service.js';
import { AuthResponseDto, SignInDto, SignUpDto } from './dto/auth.dto.js';

@ApiTags('Authentication')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A field is missing or invalid' })
@Controller('auths')
export class AuthController {
  constructor(private readonly service: AuthService) {}

  @Post('signup')
  @ApiOperation({ summary: 'Create an account with email and password', description: 'The first account ever created becomes admin.' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The email is already registered' })
  signUp(@Body() dto: SignUpDto): Promise<AuthResponseDto> {
    return this.service.signUp(dto);
  }

  @Post('signin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong email or password, or the account is disabled' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Too many attempts; see the Retry-After header' })
  signIn(@Body() dto: SignInDto, @Ip() ip: string): Promise<AuthResponseDto> {
    return this.service.signIn(dto, ip);
  }
}
