import { ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { deriveSecret } from '../../common/app-secret.js';
import { fieldError, RateLimitedException } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { SmsCodeSentDto } from './dto/sms.dto.js';
import { SmsSend } from './sms-send.entity.js';
import { CODE_TTL_MINUTES, SmsSettingsService } from './sms-settings.service.js';
import { User } from './user.entity.js';
import { SmsCodePurpose, VerificationCode, VerificationCodeStatus } from './verification-code.entity.js';

export const MAX_CODE_ATTEMPTS = 5;

/** Locks serialising sends per phone and per IP across every instance (pg advisory locks). */
const PHONE_LOCK = 'sms-phone:';
const IP_LOCK = 'sms-ip:';

const expired = () => say('The code has expired or was never sent: request a new one', '验证码已过期或未发送，请重新获取');

@Injectable()
export class SmsCodeService {
  private readonly hashKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly smsSettings: SmsSettingsService,
  ) {
    this.hashKey = deriveSecret(config.appSecret, 'sms-code');
  }

  private hash(phone: string, purpose: SmsCodePurpose, code: string): string {
    return createHmac('sha256', this.hashKey).update(`${phone}:${purpose}:${code}`).digest('hex');
  }

  /**
   * Sends a fresh code. The limits are checked and the send recorded in one transaction that
   * holds per-phone and per-IP advisory locks, so several instances cannot overshoot them; a
   * message the provider refuses rolls everything back and is not counted.
   */
  async send(phone: string, purpose: SmsCodePurpose, ip: string, caller: User | null): Promise<SmsCodeSentDto> {
    const settings = await this.smsSettings.effective();
    if (!settings.enabled) throw new ServiceUnavailableException(say('Sign-in by SMS is not available: SMS sending is not configured', '暂不支持短信登录：尚未配置短信发送'));
    if ((purpose === SmsCodePurpose.Bind || purpose === SmsCodePurpose.Change) && !caller) {
      throw new UnauthorizedException(say('Sign in first to bind or change a phone number', '请先登录，再绑定或更换手机号'));
    }

    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [PHONE_LOCK + phone]);
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [IP_LOCK + ip]);

      const owner = await manager.findOneBy(User, { phone });
      if ((purpose === SmsCodePurpose.Register || purpose === SmsCodePurpose.Bind || purpose === SmsCodePurpose.Change) && owner) {
        throw new ConflictException(
          owner.id === caller?.id ? say('This phone number is already bound to your account', '该手机号已绑定到你的账户') : say('This phone number is already used by another account', '该手机号已被其他账户使用'),
        );
      }
      if ((purpose === SmsCodePurpose.Login || purpose === SmsCodePurpose.Reset) && !owner) {
        throw new NotFoundException(say('No account uses this phone number yet: sign up first', '该手机号尚未注册，请先注册'));
      }

      await this.checkLimits(manager, phone, ip, settings);

      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const body = settings.template.replaceAll('{code}', code).replaceAll('{minutes}', String(CODE_TTL_MINUTES));
      await this.smsSettings.send(settings, phone, this.smsSettings.compose(settings, body));

      await manager.update(
        VerificationCode,
        { phone, purpose, status: VerificationCodeStatus.Active },
        { status: VerificationCodeStatus.Invalidated },
      );
      await manager.query(
        `INSERT INTO verification_codes (phone, purpose, code_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(mins => $4))`,
        [phone, purpose, this.hash(phone, purpose, code), CODE_TTL_MINUTES],
      );
      await manager.insert(SmsSend, { phone, ip, kind: purpose });
      return { expiresInSeconds: CODE_TTL_MINUTES * 60, cooldownSeconds: settings.cooldownSeconds };
    });
  }

  private async checkLimits(
    manager: EntityManager,
    phone: string,
    ip: string,
    limits: { cooldownSeconds: number; maxPerPhonePerDay: number; maxPerIpPerHour: number },
  ): Promise<void> {
    // Every window is measured on the database clock, shared by all instances.
    const [phoneStats] = await manager.query(
      `SELECT ceil(extract(epoch FROM max(sent_at) + make_interval(secs => $2) - now()))::int AS cooldown_left,
              count(*) FILTER (WHERE sent_at > now() - interval '1 day')::int AS today,
              ceil(extract(epoch FROM min(sent_at) FILTER (WHERE sent_at > now() - interval '1 day') + interval '1 day' - now()))::int AS day_left
         FROM sms_sends WHERE phone = $1 AND sent_at > now() - interval '1 day'`,
      [phone, limits.cooldownSeconds],
    );
    if (phoneStats.cooldown_left > 0) {
      throw new RateLimitedException(say(`Wait ${phoneStats.cooldown_left} seconds before requesting another code`, `请等待 ${phoneStats.cooldown_left} 秒后再获取验证码`), phoneStats.cooldown_left);
    }
    if (phoneStats.today >= limits.maxPerPhonePerDay) {
      throw new RateLimitedException(
        say(
          `This phone number has received ${limits.maxPerPhonePerDay} codes in the last 24 hours: try again in ${phoneStats.day_left} seconds`,
          `该手机号 24 小时内已收到 ${limits.maxPerPhonePerDay} 条验证码，请 ${phoneStats.day_left} 秒后再试`,
        ),
        Math.max(1, phoneStats.day_left),
      );
    }
    const [ipStats] = await manager.query(
      `SELECT count(*)::int AS hour,
              ceil(extract(epoch FROM min(sent_at) + interval '1 hour' - now()))::int AS hour_left
         FROM sms_sends WHERE ip = $1 AND sent_at > now() - interval '1 hour'`,
      [ip],
    );
    if (ipStats.hour >= limits.maxPerIpPerHour) {
      throw new RateLimitedException(
        say(`Too many codes requested from this address: try again in ${ipStats.hour_left} seconds`, `该地址获取验证码次数过多，请 ${ipStats.hour_left} 秒后再试`),
        Math.max(1, ipStats.hour_left),
      );
    }
  }

  /**
   * Checks a code; a wrong one costs a try and the fifth wrong try kills the code. With `consume`
   * the code is used up in the caller's transaction (compare-and-set, so it works once).
   */
  async check(phone: string, purpose: SmsCodePurpose, code: string, consume?: EntityManager): Promise<void> {
    const [row]: Array<{ id: string; code_hash: string; expired: boolean }> = await this.dataSource.query(
      `SELECT id, code_hash, expires_at <= now() AS expired FROM verification_codes
        WHERE phone = $1 AND purpose = $2 AND status = 'active'`,
      [phone, purpose],
    );
    if (!row || row.expired) throw fieldError('code', expired());

    const expected = Buffer.from(row.code_hash, 'hex');
    const actual = Buffer.from(this.hash(phone, purpose, code), 'hex');
    if (!timingSafeEqual(expected, actual)) {
      // Counted atomically, so parallel guesses cannot exceed the limit.
      const [updated] = await this.dataSource.query(
        `UPDATE verification_codes
            SET attempts = attempts + 1,
                status = CASE WHEN attempts + 1 >= $2 THEN 'invalidated'::verification_code_status ELSE status END
          WHERE id = $1 AND status = 'active'
        RETURNING attempts`,
        [row.id, MAX_CODE_ATTEMPTS],
      );
      const attempts = updated?.[0]?.attempts ?? MAX_CODE_ATTEMPTS;
      const left = MAX_CODE_ATTEMPTS - attempts;
      throw fieldError(
        'code',
        left > 0
          ? say(`The code is wrong: ${left} ${left === 1 ? 'try' : 'tries'} left`, `验证码错误，还可以再试 ${left} 次`)
          : say('The code is wrong and has been used up by too many tries: request a new one', '验证码错误次数过多已失效，请重新获取'),
      );
    }

    if (consume) {
      const result = await consume.query(
        `UPDATE verification_codes SET status = 'used', used_at = now()
          WHERE id = $1 AND status = 'active' AND expires_at > now()`,
        [row.id],
      );
      if (result[1] !== 1) throw fieldError('code', expired());
    }
  }

  /** Deletes codes that can no longer be used and send records older than every window. */
  @Cron(CronExpression.EVERY_HOUR, { name: 'sms-code-purge' })
  async purgeExpired(): Promise<{ codes: number; sends: number }> {
    const codes = await this.dataSource.query(`DELETE FROM verification_codes WHERE expires_at < now() OR status <> 'active'`);
    const sends = await this.dataSource.query(`DELETE FROM sms_sends WHERE sent_at < now() - interval '2 days'`);
    return { codes: codes[1] ?? 0, sends: sends[1] ?? 0 };
  }
}
