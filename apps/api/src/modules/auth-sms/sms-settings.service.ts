import { BadGatewayException, BadRequestException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { SMSBAO_DEFAULT_BASE_URL, SMSBAO_RESULT_CODES_ZH_CN, SmsbaoClient, SmsbaoError } from '@atelier/providers/smsbao';

/** smsbao's refusal in its own Chinese words; a failure without a result code says what happened. */
function inChinese(error: SmsbaoError): string {
  if (SMSBAO_RESULT_CODES_ZH_CN[error.code]) return `${SMSBAO_RESULT_CODES_ZH_CN[error.code]}（代码 ${error.code}）`;
  // The client's English sentence ends with the low-level cause (e.g. "fetch failed"): kept as said.
  const cause = error.message.replace(/^smsbao could not be reached: /, '');
  if (error.code === 'network') return `无法连接短信宝：${cause}`;
  if (error.code === 'http') return `短信宝返回了 HTTP 错误：${error.message.replace(/^smsbao answered /, '')}`;
  if (error.code === 'format') return `短信宝的回答无法读取：${error.message.replace(/^smsbao answered an unreadable balance: /, '')}`;
  return error.message;
}
import { Repository } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { SecretBox } from '../../common/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import type { SaveSmsConfigDto, SmsBalanceDto, SmsConfigDto } from './dto/sms.dto.js';
import { SmsProvider, SmsSettings } from './sms-settings.entity.js';

export const CODE_TTL_MINUTES = 5;

const DEFAULTS = {
  signature: '【Atelier】',
  template: '您的验证码是{code}，{minutes}分钟内有效，请勿泄露给他人。',
  cooldownSeconds: 60,
  maxPerPhonePerDay: 10,
  maxPerIpPerHour: 20,
};

/** The settings in force: what an admin saved, or the defaults. */
export interface EffectiveSmsSettings {
  enabled: boolean;
  provider: SmsProvider;
  signature: string;
  template: string;
  cooldownSeconds: number;
  maxPerPhonePerDay: number;
  maxPerIpPerHour: number;
  saved: boolean;
  row: SmsSettings | null;
}

@Injectable()
export class SmsSettingsService {
  private readonly secrets: SecretBox;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(SmsSettings) private readonly settings: Repository<SmsSettings>,
    private readonly sandbox: SandboxLocator,
  ) {
    this.secrets = new SecretBox(config.appSecret);
  }

  async effective(): Promise<EffectiveSmsSettings> {
    const row = await this.settings.findOneBy({ id: 1 });
    if (row) return { ...row, saved: true, row };
    // Untouched settings: in sandbox mode a fresh install can sign up by phone at once.
    return {
      enabled: this.sandbox.enabled,
      provider: this.sandbox.enabled ? SmsProvider.Sandbox : SmsProvider.Smsbao,
      ...DEFAULTS,
      saved: false,
      row: null,
    };
  }

  async getConfig(): Promise<SmsConfigDto> {
    const settings = await this.effective();
    return {
      provider: settings.provider,
      enabled: settings.enabled,
      username: settings.row?.username ?? null,
      passwordSet: !!settings.row?.passwordEncrypted,
      baseUrl: settings.row?.baseUrl ?? SMSBAO_DEFAULT_BASE_URL,
      signature: settings.signature,
      template: settings.template,
      cooldownSeconds: settings.cooldownSeconds,
      maxPerPhonePerDay: settings.maxPerPhonePerDay,
      maxPerIpPerHour: settings.maxPerIpPerHour,
      sandboxAvailable: this.sandbox.enabled,
      usesSandbox: settings.provider === SmsProvider.Sandbox && this.sandbox.enabled,
      saved: settings.saved,
    };
  }

  async saveConfig(dto: SaveSmsConfigDto): Promise<SmsConfigDto> {
    if (dto.provider === SmsProvider.Sandbox && !this.sandbox.enabled) {
      throw fieldError('provider', say('provider "sandbox" is only available while the server runs in sandbox mode', '只有服务器以沙盒模式运行时才能使用 "sandbox" 服务商'));
    }
    const current = await this.settings.findOneBy({ id: 1 });
    // An empty password keeps the stored one: the API never sends it back to be re-submitted.
    const passwordEncrypted = dto.password ? this.secrets.encrypt(dto.password) : (current?.passwordEncrypted ?? null);
    const username = dto.username !== undefined ? dto.username || null : (current?.username ?? null);
    if (dto.provider === SmsProvider.Smsbao && dto.enabled) {
      if (!username) throw fieldError('username', say('username is required to send through smsbao', '通过短信宝发送需要填写用户名'));
      if (!passwordEncrypted) throw fieldError('password', say('password is required to send through smsbao', '通过短信宝发送需要填写密码'));
    }
    await this.settings.save(
      this.settings.create({
        id: 1,
        provider: dto.provider,
        enabled: dto.enabled,
        username,
        passwordEncrypted,
        baseUrl: dto.baseUrl ?? current?.baseUrl ?? SMSBAO_DEFAULT_BASE_URL,
        signature: dto.signature,
        template: dto.template,
        cooldownSeconds: dto.cooldownSeconds ?? current?.cooldownSeconds ?? DEFAULTS.cooldownSeconds,
        maxPerPhonePerDay: dto.maxPerPhonePerDay ?? current?.maxPerPhonePerDay ?? DEFAULTS.maxPerPhonePerDay,
        maxPerIpPerHour: dto.maxPerIpPerHour ?? current?.maxPerIpPerHour ?? DEFAULTS.maxPerIpPerHour,
      }),
    );
    return this.getConfig();
  }

  /** The client for the configured provider; the sandbox speaks smsbao's protocol. */
  client(settings: EffectiveSmsSettings): SmsbaoClient {
    if (settings.provider === SmsProvider.Sandbox) {
      if (!this.sandbox.enabled) throw new ServiceUnavailableException(say('SMS is set to the sandbox, but this server does not run the sandbox', '短信设置为沙盒，但此服务器未运行沙盒'));
      return new SmsbaoClient({ baseUrl: this.sandbox.url('smsbao'), ...SANDBOX_CREDENTIALS.smsbao });
    }
    const row = settings.row;
    if (!row?.username || !row.passwordEncrypted) throw new ServiceUnavailableException(say('SMS is not configured: an admin must enter the smsbao account', '短信尚未配置：需要管理员填写短信宝账户'));
    return new SmsbaoClient({ baseUrl: row.baseUrl, username: row.username, password: this.secrets.decrypt(row.passwordEncrypted) });
  }

  /** Sends a message through the configured provider, turning its refusals into a 502 in plain words. */
  async send(settings: EffectiveSmsSettings, phone: string, content: string): Promise<void> {
    try {
      await this.client(settings).send(phone, content);
    } catch (error) {
      if (error instanceof SmsbaoError) throw new BadGatewayException(say(`The SMS provider did not send the message: ${error.message}`, `短信服务商未能发送短信：${inChinese(error)}`));
      throw error;
    }
  }

  compose(settings: EffectiveSmsSettings, body: string): string {
    return `${settings.signature}${body}`;
  }

  async sendTest(phone: string): Promise<void> {
    const settings = await this.effective();
    if (!settings.enabled) throw new BadRequestException(say('SMS sending is disabled: enable it first', '短信发送已关闭：请先开启'));
    await this.send(settings, phone, this.compose(settings, '这是一条测试短信，您的短信配置可以正常使用。'));
  }

  async balance(): Promise<SmsBalanceDto> {
    const settings = await this.effective();
    try {
      return await this.client(settings).balance();
    } catch (error) {
      if (error instanceof SmsbaoError) throw new BadGatewayException(say(`The SMS provider did not answer the balance query: ${error.message}`, `短信服务商未响应余额查询：${inChinese(error)}`));
      throw error;
    }
  }
}
