import type { DataSource, DeepPartial, EntityTarget } from 'typeorm';
import { RecentlyRead } from './recently-read.js';
import { SecretBox } from './secret-box.js';

/** Every submission and poll reads the settings; a change reaches other instances within this time. */
const SETTINGS_CACHE_MS = 2000;

/** A base URL as stored: without trailing slashes (paths are appended); empty means "not set". */
export const normalizeBaseUrl = (url: string): string | null => url.replace(/\/+$/, '') || null;

/**
 * What every provider's settings service shares: one row (id 1) holding the admin's settings with
 * encrypted secrets, read at most every 2 s per instance, and changed under a row lock so two
 * admins saving at once do not lose each other's fields. Each provider says how its row and the
 * candidate fields of a connection check become its effective settings.
 */
export abstract class ProviderSettingsStore<Row extends { id: number }, Effective, Candidate extends object> {
  protected readonly secrets: SecretBox;
  private readonly recent: RecentlyRead<'settings', Effective>;

  protected constructor(
    appSecret: string,
    protected readonly dataSource: DataSource,
    private readonly entity: EntityTarget<Row>,
  ) {
    this.secrets = new SecretBox(appSecret);
    this.recent = new RecentlyRead<'settings', Effective>(SETTINGS_CACHE_MS, () => this.candidate({} as Candidate));
  }

  /** The settings in use (saved ones, with sandbox defaults for what an admin has not set). */
  effective(): Promise<Effective> {
    return this.recent.get('settings');
  }

  /** The settings saving these connection fields would give; the saved ones for no fields. */
  abstract candidate(dto: Candidate): Promise<Effective>;

  /** The saved row, or null before an admin has saved anything. */
  protected savedRow(): Promise<Row | null> {
    return this.dataSource.getRepository(this.entity).findOneBy({ id: 1 } as never);
  }

  /** A stored secret in clear text, or null. */
  protected reveal(encrypted: string | null | undefined): string | null {
    return encrypted ? this.secrets.decrypt(encrypted) : null;
  }

  /** Changes the row (made on first save) under a row lock, and forgets the cached settings. */
  protected async updateRow(change: (row: Row) => void): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(this.entity);
      const row: Row = (await repository.findOne({ where: { id: 1 } as never, lock: { mode: 'pessimistic_write' } })) ?? (repository.create({ id: 1 } as DeepPartial<Row>) as Row);
      change(row);
      await repository.save(row as never);
    });
    this.recent.clear();
  }
}
