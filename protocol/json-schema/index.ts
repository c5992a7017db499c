export { compileSchema, type CompiledSchema, type Schema, type SchemaFault } from './compile-schema.ts';
