import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { Authenticated } from './authenticated.decorator.js';
import { SaveSmsConfigDto, SendTestSmsDto, SmsBalanceDto, SmsConfigDto, SmsTestResultDto } from './dto/sms.dto.js';
import { SmsSettingsService } from './sms-settings.service.js';

@ApiTags('Admin')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller('auths/sms')
export class SmsAdminController {
  constructor(private readonly service: SmsSettingsService) {}

  @Get('config')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'SMS settings (the password is never returned, only whether it is set)' })
  @ApiOkResponse({ type: SmsConfigDto })
  getSmsConfig(): Promise<SmsConfigDto> {
    return this.service.getConfig();
  }

  @Post('config')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Save SMS settings; an empty password keeps the stored one' })
  @ApiOkResponse({ type: SmsConfigDto })
  saveSmsConfig(@Body() dto: SaveSmsConfigDto): Promise<SmsConfigDto> {
    return this.service.saveConfig(dto);
  }

  @Post('test')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Send a test SMS through the configured provider' })
  @ApiOkResponse({ type: SmsTestResultDto })
  @ApiBadGatewayResponse({ type: ErrorResponseDto, description: 'The provider refused; its reason is in the message' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'No SMS account is configured (or the sandbox is chosen but off)' })
  async sendTestSms(@Body() dto: SendTestSmsDto): Promise<SmsTestResultDto> {
    await this.service.sendTest(dto.phone);
    return { sent: true };
  }

  @Get('balance')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Messages sent and remaining on the SMS account (smsbao /query)' })
  @ApiOkResponse({ type: SmsBalanceDto })
  @ApiBadGatewayResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'No SMS account is configured (or the sandbox is chosen but off)' })
  getSmsBalance(): Promise<SmsBalanceDto> {
    return this.service.balance();
  }
}
