import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from '../auth-sms/auth.types.js';
import { Auth, Authenticated } from '../auth-sms/authenticated.decorator.js';
import { CreditsService } from './credits.service.js';
import {
  CreditBalanceDto,
  CreditLedgerPageDto,
  CreditSettingsDto,
  GrantCreditsDto,
  GrantResultDto,
  LedgerQueryDto,
  SaveCreditSettingsDto,
} from './dto/credits.dto.js';

@ApiTags('Credits')
@ApiBadRequestResponse({ type: ErrorResponseDto })
@Controller()
export class CreditsController {
  constructor(private readonly service: CreditsService) {}

  @Get('credits')
  @Authenticated()
  @ApiOperation({ summary: 'My credit balance and the most recent ledger entries' })
  @ApiOkResponse({ type: CreditBalanceDto })
  getMyCredits(@Auth() auth: AuthContext): Promise<CreditBalanceDto> {
    return this.service.balance(auth.user.id);
  }

  @Get('credits/ledger')
  @Authenticated()
  @ApiOperation({ summary: 'My credit ledger, newest first, cursor pagination' })
  @ApiOkResponse({ type: CreditLedgerPageDto })
  getMyCreditLedger(@Auth() auth: AuthContext, @Query() query: LedgerQueryDto): Promise<CreditLedgerPageDto> {
    return this.service.ledger(auth.user.id, query);
  }

  @Post('admin/credits/grant')
  @HttpCode(200)
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Grant credits to a user, or deduct them with a negative amount (never below zero)' })
  @ApiOkResponse({ type: GrantResultDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The deduction would make the balance negative' })
  grantCredits(@Auth() auth: AuthContext, @Body() dto: GrantCreditsDto): Promise<GrantResultDto> {
    return this.service.grant(auth.user, dto);
  }

  @Get('admin/credits/settings')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Credit settings: what a new account receives' })
  @ApiOkResponse({ type: CreditSettingsDto })
  getCreditSettings(): Promise<CreditSettingsDto> {
    return this.service.settings();
  }

  @Put('admin/credits/settings')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Change what a new account receives' })
  @ApiOkResponse({ type: CreditSettingsDto })
  saveCreditSettings(@Body() dto: SaveCreditSettingsDto): Promise<CreditSettingsDto> {
    return this.service.saveSettings(dto);
  }
}
