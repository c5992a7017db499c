export { SqlDatabase, DatabaseError, isUniqueViolation, type SqlValue, type SqlRow } from './sql-database.ts';
export { readMigrations, migrate, type Migration, type MigrationDialect } from './migrations.ts';
export { openPrivateDatabase } from './private-database.ts';
export { PgDatabase, pgUniqueViolation, isPostgresUrl, type PgDatabaseOptions, type PgParam, type PgQueries } from './pg-database.ts';
export { migratePg } from './pg-migrations.ts';
