import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AccountDisabledException, RateLimitedException } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { CreditsService } from '../credits/credits.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import type { AuthResponseDto, SignInDto, SignInWithPhonePasswordDto, SignUpDto } from './dto/auth.dto.js';
import { mapUser } from './dto/user.dto.js';
import type { JwtPayload } from './auth.types.js';
import type { ResetPasswordDto, SignInWithPhoneDto, SignUpWithPhoneDto } from './dto/sms.dto.js';
import { PasswordService } from './password.service.js';
import { endSessions } from './sessions.js';
import { SmsCodeService } from './sms-code.service.js';
import { SmsCodePurpose } from './verification-code.entity.js';
import { User, UserRole, UserStatus } from './user.entity.js';

const wrongCredentials = (by: 'email' | 'phone') =>
  by === 'email' ? say('The email or password is incorrect', '邮箱或密码不正确') : say('The phone number or password is incorrect', '手机号或密码不正确');
/**
 * How long a password sign-in waits once an account has had `max` failures in the window from all
 * addresses together: half a second more per further failure, at most 5 s. Guessing from many
 * addresses gets slow, while the owner still gets in (each address has its own hard limit).
 */
export function signInSlowDownMs(failures: number, max: number): number {
  return failures < max ? 0 : Math.min(5000, (failures - max + 1) * 500);
}

/** Serialises account creation so exactly one account can become the first admin. */
const FIRST_ACCOUNT_LOCK = 72_600_001;

@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jwt: JwtService,
    private readonly passwords: PasswordService,
    private readonly rateLimits: RateLimitService,
    private readonly smsCodes: SmsCodeService,
    private readonly credits: CreditsService,
  ) {}

  /** Uses up the code and creates the account in one transaction: a refused sign-up keeps the code. */
  async signUpWithPhone(dto: SignUpWithPhoneDto): Promise<AuthResponseDto> {
    const passwordHash = await this.passwords.hash(dto.password);
    const user = await this.dataSource.transaction(async (manager) => {
      await this.smsCodes.check(dto.phone, SmsCodePurpose.Register, dto.code, manager);
      return this.createUser({ name: dto.name, phone: dto.phone, passwordHash }, manager);
    });
    return this.issueToken(user);
  }

  async signInWithPhone(dto: SignInWithPhoneDto): Promise<AuthResponseDto> {
    const user = await this.dataSource.transaction(async (manager) => {
      await this.smsCodes.check(dto.phone, SmsCodePurpose.Login, dto.code, manager);
      const found = await manager.findOneBy(User, { phone: dto.phone });
      // The code was sent only to a registered phone, but the account may have changed since.
      if (!found) throw new UnauthorizedException(say('No account uses this phone number any more', '该手机号已不再绑定任何账户'));
      return found;
    });
    if (user.status !== UserStatus.Active) throw new AccountDisabledException(say('This account is disabled', '该账户已被停用'));
    return this.issueToken(user);
  }

  /**
   * A forgotten password: a code sent to the account's phone (purpose `reset`) sets a new one.
   * Every session ends (whoever knew the old password is signed out); the caller is signed in.
   */
  async resetPassword(dto: ResetPasswordDto): Promise<AuthResponseDto> {
    const passwordHash = await this.passwords.hash(dto.newPassword);
    const user = await this.dataSource.transaction(async (manager) => {
      await this.smsCodes.check(dto.phone, SmsCodePurpose.Reset, dto.code, manager);
      const found = await manager.findOneBy(User, { phone: dto.phone });
      if (!found) throw new UnauthorizedException(say('No account uses this phone number any more', '该手机号已不再绑定任何账户'));
      if (found.status !== UserStatus.Active) throw new UnauthorizedException(say('This account is disabled', '该账户已被停用'));
      await manager.update(User, { id: found.id }, { passwordHash, mustChangePassword: false });
      await endSessions(manager, found.id);
      return manager.findOneByOrFail(User, { id: found.id });
    });
    return this.issueToken(user);
  }

  async signUp(dto: SignUpDto): Promise<AuthResponseDto> {
    const passwordHash = await this.passwords.hash(dto.password);
    const user = await this.createUser({ name: dto.name, email: dto.email, passwordHash });
    return this.issueToken(user);
  }

  signIn(dto: SignInDto, ip: string): Promise<AuthResponseDto> {
    return this.signInWithPassword('email', dto.email, dto.password, ip);
  }

  /** The password a phone account was created (or later given) with, as an alternative to a code. */
  signInWithPhonePassword(dto: SignInWithPhonePasswordDto, ip: string): Promise<AuthResponseDto> {
    return this.signInWithPassword('phone', dto.phone, dto.password, ip);
  }

  private async signInWithPassword(by: 'email' | 'phone', identifier: string, password: string, ip: string): Promise<AuthResponseDto> {
    const { windowSeconds, maxAttemptsPerIp, maxFailuresPerAccount } = this.config.signin;
    const perIp = await this.rateLimits.hit(`signin:ip:${ip}`, windowSeconds);
    if (perIp.count > maxAttemptsPerIp) {
      throw new RateLimitedException(
        say(`Too many sign-in attempts from this address. Try again in ${perIp.retryAfterSeconds} seconds`, `该地址登录尝试过多，请 ${perIp.retryAfterSeconds} 秒后再试`),
        perIp.retryAfterSeconds,
      );
    }
    // Keyed by the email or number as typed, whether or not it exists, so the limits reveal nothing.
    // Failures lock the account only for the address they come from: a stranger who knows the
    // email cannot lock its owner out. From everywhere together they slow every attempt down.
    const accountKey = `signin:account:${identifier}`;
    const accountFromIpKey = `signin:account-ip:${identifier}:${ip}`;
    const [fromHere, everywhere] = await Promise.all([
      this.rateLimits.peek(accountFromIpKey, windowSeconds),
      this.rateLimits.peek(accountKey, windowSeconds),
    ]);
    if (fromHere.count >= maxFailuresPerAccount) {
      throw new RateLimitedException(
        say(
          `Too many failed sign-in attempts for this account from this address. Try again in ${fromHere.retryAfterSeconds} seconds`,
          `该地址对此账户的登录失败次数过多，请 ${fromHere.retryAfterSeconds} 秒后再试`,
        ),
        fromHere.retryAfterSeconds,
      );
    }
    const delay = signInSlowDownMs(everywhere.count, maxFailuresPerAccount);
    if (delay > 0) await sleep(delay);

    const user = await this.users.findOneBy(by === 'email' ? { email: identifier } : { phone: identifier });
    const valid = await this.passwords.verify(user?.passwordHash ?? null, password);
    if (!user || !valid) {
      await Promise.all([this.rateLimits.hit(accountKey, windowSeconds), this.rateLimits.hit(accountFromIpKey, windowSeconds)]);
      throw new UnauthorizedException(wrongCredentials(by));
    }
    if (user.status !== UserStatus.Active) throw new AccountDisabledException(say('This account is disabled', '该账户已被停用'));
    return this.issueToken(user);
  }

  /**
   * Inserts a user; the very first account becomes admin. Shared by every sign-up path.
   */
  async createUser(
    fields: Pick<User, 'name'> & Partial<Pick<User, 'email' | 'phone' | 'passwordHash'>>,
    outer?: EntityManager,
  ): Promise<User> {
    const create = async (manager: EntityManager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ACCOUNT_LOCK]);
      if (fields.email && (await manager.existsBy(User, { email: fields.email }))) {
        throw new ConflictException(say('An account with this email already exists', '该邮箱已注册'));
      }
      if (fields.phone && (await manager.existsBy(User, { phone: fields.phone }))) {
        throw new ConflictException(say('An account with this phone number already exists', '该手机号已注册'));
      }
      const isFirst = !(await manager.exists(User));
      const user = await manager.save(
        manager.create(User, {
          name: fields.name,
          email: fields.email ?? null,
          phone: fields.phone ?? null,
          passwordHash: fields.passwordHash ?? null,
          role: isFirst ? UserRole.Admin : UserRole.User,
          status: UserStatus.Active,
        }),
      );
      await this.credits.openAccount(manager, user.id);
      return user;
    };
    return outer ? create(outer) : this.dataSource.transaction(create);
  }

  async issueToken(user: User): Promise<AuthResponseDto> {
    const token = await this.jwt.signAsync({ sub: user.id, ep: user.sessionEpoch } satisfies JwtPayload);
    return { token, expiresIn: this.config.jwtExpiresInSeconds, user: mapUser(user) };
  }
}
