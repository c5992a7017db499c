export * from './seram-messages.ts';
export { seramErrors, seramComponents, loadSeramSchemas, GPSERAM_YAML_URL, type SeramMessageKind, type SeramSchemaError } from './seram-schema.ts';
