import { createHash } from 'node:crypto';
import { axiosFetch, type JsonApiFetch, type JsonApiResponse } from '../http/index.js';

/**
 * smsbao (短信宝) HTTP API client: see ../shared/providers/smsbao.md. GET requests with query
 * parameters, plain-text result codes, HTTP 200 even for errors.
 */

export const SMSBAO_DEFAULT_BASE_URL = 'https://api.smsbao.com';

/** Result codes in plain words (smsbao.md §2). */
export const SMSBAO_RESULT_CODES: Record<string, string> = {
  '0': 'sent',
  '30': 'wrong password or API key',
  '40': 'the account does not exist',
  '41': 'balance insufficient',
  '42': 'the account has expired',
  '43': 'this server’s IP address is not allowed (IP whitelist)',
  '50': 'content contains sensitive words',
  '51': 'the phone number is not valid',
  '-1': 'parameters missing',
};

/** The same codes in smsbao's own (Chinese) words, for Chinese readers. */
export const SMSBAO_RESULT_CODES_ZH_CN: Record<string, string> = {
  '0': '发送成功',
  '30': '密码或 ApiKey 错误',
  '40': '账号不存在',
  '41': '余额不足',
  '42': '账户已过期',
  '43': '服务器 IP 地址不在白名单中',
  '50': '内容含有敏感词',
  '51': '手机号码不正确',
  '-1': '参数不全',
};

export class SmsbaoError extends Error {
  constructor(
    /** The provider's result code, or `http`/`network` when no code came back. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SmsbaoError';
  }
}

export interface SmsbaoOptions {
  baseUrl?: string;
  username: string;
  /** The account password (sent as its MD5) or, with `apiKey: true`, the console ApiKey (sent as is). */
  password: string;
  apiKey?: boolean;
  timeoutMs?: number;
  /** Defaults to `axiosFetch` (the shared provider HTTP client); the global fetch fits too. */
  fetch?: JsonApiFetch;
}

export interface SmsbaoBalance {
  sent: number;
  remaining: number;
}

export function describeSmsbaoCode(code: string): string {
  return SMSBAO_RESULT_CODES[code] ?? `unknown result code ${code}`;
}

export class SmsbaoClient {
  private readonly baseUrl: string;
  private readonly fetch: JsonApiFetch;

  constructor(private readonly options: SmsbaoOptions) {
    this.baseUrl = (options.baseUrl ?? SMSBAO_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.fetch = options.fetch ?? axiosFetch;
  }

  /** `p`: MD5 of the password in lower-case hex, never the password itself (smsbao.md §4.1). */
  private credential(): string {
    return this.options.apiKey ? this.options.password : createHash('md5').update(this.options.password, 'utf8').digest('hex');
  }

  private async get(path: string, params: Record<string, string>): Promise<string> {
    // URLSearchParams encodes UTF-8 (the 【】 signature and Chinese text) exactly once.
    const query = new URLSearchParams({ u: this.options.username, p: this.credential(), ...params });
    let response: JsonApiResponse;
    try {
      response = await this.fetch(`${this.baseUrl}${path}?${query}`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new SmsbaoError('network', `smsbao could not be reached: ${(error as Error).message}`);
    }
    const body = (await response.text()).trim();
    if (!response.ok) throw new SmsbaoError('http', `smsbao answered HTTP ${response.status}`);
    return body;
  }

  /** Sends one message; `content` must carry the 【signature】. Resolves when smsbao accepted it. */
  async send(phone: string, content: string): Promise<void> {
    const code = (await this.get('/sms', { m: phone, c: content })).split(/\s+/)[0];
    if (code !== '0') throw new SmsbaoError(code, `smsbao refused the message: ${describeSmsbaoCode(code)} (code ${code})`);
  }

  /** Sent and remaining message counts. */
  async balance(): Promise<SmsbaoBalance> {
    const body = await this.get('/query', {});
    // Usually "0\n{sent},{remaining}"; tolerate "0,{sent},{remaining}" on one line (smsbao.md §3).
    const lines = body.split(/\r?\n/);
    const status = lines[0].split(',')[0].trim();
    if (status !== '0') throw new SmsbaoError(status, `smsbao refused the balance query: ${describeSmsbaoCode(status)} (code ${status})`);
    const numbers = (lines[1] ?? lines[0].split(',').slice(1).join(',')).split(',').map((n) => Number(n.trim()));
    const [sent, remaining] = numbers.length >= 2 ? numbers : [0, numbers[0]];
    if (!Number.isFinite(sent) || !Number.isFinite(remaining)) throw new SmsbaoError('format', `smsbao answered an unreadable balance: ${JSON.stringify(body)}`);
    return { sent, remaining };
  }
}
