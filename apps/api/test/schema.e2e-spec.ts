import pg from 'pg';
import { pendingSchemaChanges, revertMigrations, runMigrations } from '../src/database/migrate.js';
import { migrations } from '../../../migrations/index.js';
import { createTestDatabase, signUp, startTestApp } from './test-app.js';

describe('database schema', () => {
  it('is exactly what the entities describe after migrating an empty database', async () => {
    const database = await createTestDatabase({ empty: true });
    // pg 9 removes queueing a query on a client that is busy (pg 8 warns when it happens);
    // TypeORM's schema reader sends one query per enum column at once on one connection.
    const busy: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client & { _activeQuery?: unknown; _queryQueue: unknown[] }, ...args: unknown[]) {
      if (this._activeQuery || this._queryQueue.length > 0) busy.push(String(args[0]).slice(0, 80));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      const applied = await runMigrations(database.url);
      expect(applied).toHaveLength(migrations.length);
      expect(await pendingSchemaChanges(database.url)).toEqual({ up: [], down: [] });
      expect(await runMigrations(database.url)).toEqual([]);
      expect(busy).toEqual([]);
    } finally {
      pg.Client.prototype.query = query;
      await database.drop();
    }
  });

  it('reverts every migration and applies them again on a database with rows in it', async () => {
    const database = await createTestDatabase();
    try {
      const t = await startTestApp({ database });
      const user = await signUp(t.http);
      await t.http.post('/api/v1/api-keys').set('Authorization', `Bearer ${user.token}`).send({ name: 'k' }).expect(201);
      await t.http.post('/api/v1/auths/signin').send({ email: 'nobody@example.com', password: 'whatever-1' }).expect(401);
      await t.close();

      expect(await revertMigrations(database.url, Infinity)).toBe(migrations.length);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const tables = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      );
      const types = await client.query(`SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                                         WHERE n.nspname = 'public' AND t.typtype = 'e'`);
      await client.end();
      expect(tables.rows).toEqual([]);
      expect(types.rows).toEqual([]);

      await runMigrations(database.url);
      expect(await pendingSchemaChanges(database.url)).toEqual({ up: [], down: [] });
      const again = await startTestApp({ database });
      await signUp(again.http);
      await again.close();
    } finally {
      await database.drop();
    }
  });
});
