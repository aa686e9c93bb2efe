import type pg from 'pg';
import { type DataSource, type EntityTarget, type ObjectLiteral, QueryFailedError } from 'typeorm';

/**
 * A statement of a hot path (every authenticated request, every submission, every poll), run as a
 * named prepared statement straight on the pool: PostgreSQL parses and plans it once per
 * connection instead of on every call (measured: planning alone was a third of the database's
 * work per submission), and no TypeORM query runner is built for it. Its text must never change
 * for a given name; errors are TypeORM's `QueryFailedError`, as for any other statement.
 */
export class PreparedStatement<Row extends ObjectLiteral = Record<string, unknown>> {
  private text?: string;

  /** `text` may need the data source (e.g. an entity's `columnList`): it is built on first use. */
  constructor(
    readonly name: string,
    private readonly build: string | ((dataSource: DataSource) => string),
  ) {}

  async rows(dataSource: DataSource, values: unknown[]): Promise<Row[]> {
    const text = (this.text ??= typeof this.build === 'string' ? this.build : this.build(dataSource));
    const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
    try {
      const result = await pool.query<Row>({ name: this.name, text, values });
      return result.rows;
    } catch (error) {
      throw new QueryFailedError(text, values, error as Error);
    }
  }
}

/**
 * An entity's columns as a select list (`alias."id", alias."user_id", …`). Prepared statements
 * name their columns instead of using `*`: a cached plan whose `*` grew a column after a
 * migration fails with "cached plan must not change result type" on every connection that had it.
 */
export function columnList(dataSource: DataSource, target: EntityTarget<ObjectLiteral>, alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return dataSource
    .getMetadata(target)
    .columns.filter((column) => !column.isVirtual)
    .map((column) => `${prefix}"${column.databaseName}"`)
    .join(', ');
}
