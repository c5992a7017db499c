/** The HTTP contract between terminal, issuer and provider: JSON Schemas and their TypeScript types. */
export * from './schema.ts';
export * from './provider.ts';
export * from './issuer.ts';
