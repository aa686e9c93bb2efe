import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '../../config/app-config.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthController } from './auth.controller.js';
import { BindingsController } from './bindings.controller.js';
import { BindingsService } from './bindings.service.js';
import { PhoneAuthController } from './phone-auth.controller.js';
import { SmsAdminController } from './sms-admin.controller.js';
import { SmsCodeService } from './sms-code.service.js';
import { SmsSend } from './sms-send.entity.js';
import { SmsSettings } from './sms-settings.entity.js';
import { SmsSettingsService } from './sms-settings.service.js';
import { VerificationCode } from './verification-code.entity.js';
import { AuthService } from './auth.service.js';
import { jwtModuleOptions } from './jwt-options.js';
import { JwtStrategy } from './jwt.strategy.js';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

// Global: every module's controllers use @Authenticated, whose guards need the strategies.
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([User, ApiKey, SmsSettings, VerificationCode, SmsSend]),
    PassportModule,
    RateLimitModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: jwtModuleOptions,
    }),
  ],
  controllers: [AuthController, PhoneAuthController, BindingsController, SmsAdminController, UsersController, AdminUsersController, ApiKeysController],
  providers: [
    AuthService,
    UsersService,
    ApiKeysService,
    PasswordService,
    JwtStrategy,
    ApiKeyStrategy,
    SmsSettingsService,
    SmsCodeService,
    BindingsService,
  ],
  exports: [AuthService, PasswordService, JwtStrategy, ApiKeyStrategy],
})
export class AuthSmsModule {}
