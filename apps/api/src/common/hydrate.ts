import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * An entity from a row a raw statement returned (`RETURNING *`), its values read as TypeORM reads
 * them: so a hot path can write and read back in one statement instead of a write and a SELECT.
 */
export function hydrate<T extends ObjectLiteral>(dataSource: DataSource, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = dataSource.getMetadata(target);
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    // Virtual columns only stand for a relation; the entities keep their own id columns.
    if (column.isVirtual || !(column.databaseName in row)) continue;
    entity[column.propertyName] = dataSource.driver.prepareHydratedValue(row[column.databaseName], column);
  }
  return entity as T;
}
