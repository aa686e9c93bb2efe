import { SmsbaoClient, SmsbaoError } from '@atelier/providers/smsbao';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, startSandbox } from './sandbox-server.js';

/** Our production smsbao client against the sandbox: the same protocol, only the base URL differs. */
describe('smsbao client against the sandbox', () => {
  let s: RunningSandbox;
  let client: SmsbaoClient;

  beforeAll(async () => {
    s = await startSandbox();
    client = new SmsbaoClient({ baseUrl: `${s.base}/smsbao`, ...SANDBOX_CREDENTIALS.smsbao });
  });
  afterAll(() => s.close());

  it('sends a message that lands in the outbox, and reads the balance', async () => {
    await client.send('13800138000', '【Atelier】您的验证码是654321，5分钟内有效。');
    const outbox = await (await fetch(`${s.base}/_control/sms?phone=13800138000`)).json();
    expect(outbox.at(-1).content).toBe('【Atelier】您的验证码是654321，5分钟内有效。');
    const balance = await client.balance();
    expect(balance.sent).toBeGreaterThanOrEqual(1);
    expect(balance.sent + balance.remaining).toBe(1000);
  });

  it.each([
    ['30', () => new SmsbaoClient({ baseUrl: `${s.base}/smsbao`, username: 'sandbox', password: 'wrong' }), '13800138000', '【A】x'],
    ['40', () => new SmsbaoClient({ baseUrl: `${s.base}/smsbao`, username: 'nobody', password: 'x' }), '13800138000', '【A】x'],
    ['41', () => client, '13900000041', '【A】x'],
    ['42', () => client, '13900000042', '【A】x'],
    ['43', () => client, '13900000043', '【A】x'],
    ['50', () => client, '13800138000', '【A】sandbox:sensitive'],
    ['51', () => client, '123', '【A】x'],
  ])('turns result code %s into a clear error', async (code, make, phone, content) => {
    const error = await make()
      .send(phone, content)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsbaoError);
    expect((error as SmsbaoError).code).toBe(code);
  });
});
