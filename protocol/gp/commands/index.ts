export * from './select.ts';
export * from './get-data.ts';
export * from './get-status.ts';
export * from './set-status.ts';
export * from './install.ts';
export * from './load.ts';
export * from './delete.ts';
export * from './perform-security-operation.ts';
