export * from './select.ts';
export * from './get-data.ts';
export * from './get-status.ts';
export * from './set-status.ts';
