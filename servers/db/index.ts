export { SqlDatabase, DatabaseError, isUniqueViolation, type SqlValue, type SqlRow } from './sql-database.ts';
export { readMigrations, migrate, type Migration } from './migrations.ts';
export { openPrivateDatabase } from './private-database.ts';
