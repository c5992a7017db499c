#!/usr/bin/env node
// cardlab's command line. The sources are TypeScript run through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../scenarios/cli/cardlab.ts');
await main(process.argv);
