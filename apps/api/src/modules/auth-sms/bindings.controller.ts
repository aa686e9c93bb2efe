import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from './auth.types.js';
import { Auth, Authenticated } from './authenticated.decorator.js';
import { BindingsService } from './bindings.service.js';
import { BindEmailDto, BindingStatusDto, BindPhoneDto } from './dto/sms.dto.js';
import { UserDto } from './dto/user.dto.js';

@ApiTags('Account bindings')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('auths')
export class BindingsController {
  constructor(private readonly service: BindingsService) {}

  @Get('binding-status')
  @Authenticated()
  @ApiOperation({ summary: 'The phone and email bound to my account, and which can be unbound' })
  @ApiOkResponse({ type: BindingStatusDto })
  getBindingStatus(@Auth() auth: AuthContext): BindingStatusDto {
    return this.service.status(auth.user);
  }

  @Post('bind-phone')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Bind a phone number (code purpose bind), or change the bound one (purpose change)' })
  @ApiOkResponse({ type: UserDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  bindPhone(@Auth() auth: AuthContext, @Body() dto: BindPhoneDto): Promise<UserDto> {
    return this.service.bindPhone(auth.user, dto);
  }

  @Post('bind-email')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Bind or change the email; sets the password when the account has none, else checks it' })
  @ApiOkResponse({ type: UserDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  bindEmail(@Auth() auth: AuthContext, @Body() dto: BindEmailDto): Promise<UserDto> {
    return this.service.bindEmail(auth.user, dto);
  }

  @Delete('unbind-phone')
  @Authenticated()
  @ApiOperation({ summary: 'Remove the phone number (refused when it is the only way to sign in)' })
  @ApiOkResponse({ type: UserDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  unbindPhone(@Auth() auth: AuthContext): Promise<UserDto> {
    return this.service.unbindPhone(auth.user);
  }

  @Delete('unbind-email')
  @Authenticated()
  @ApiOperation({ summary: 'Remove the email (refused when it is the only way to sign in)' })
  @ApiOkResponse({ type: UserDto })
  @ApiConflictResponse({ type: ErrorResponseDto })
  unbindEmail(@Auth() auth: AuthContext): Promise<UserDto> {
    return this.service.unbindEmail(auth.user);
  }
}
