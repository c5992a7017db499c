export * from './cplc.ts';
export * from './card-recognition-data.ts';
export * from './key-information.ts';
export * from './card-resources.ts';
export * from './fci.ts';
export * from './registry-entry.ts';
export * from './life-cycle.ts';
export * from './confirmation.ts';
