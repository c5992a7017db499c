// Entry of the PC/SC worker thread (createPcscWorkerReader): a worker does not inherit the loader its
// parent runs TypeScript with (tsx for the CLI, vite under vitest), so it registers tsx itself and then
// loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./pcsc-worker.ts');
