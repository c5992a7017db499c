import type { CommandHandler } from '../dispatch.ts';
import { selectHandler } from './select.ts';
import { getDataHandler } from './get-data.ts';
import { getStatusHandler } from './get-status.ts';
import { initializeUpdateHandler } from './initialize-update.ts';
import { externalAuthenticateHandler } from './external-authenticate.ts';
import { setStatusHandler } from './set-status.ts';
import { installHandler } from './install.ts';
import { loadHandler } from './load.ts';
import { deleteHandler } from './delete.ts';
import { performSecurityOperationHandler } from './perform-security-operation.ts';
import { manageChannelHandler } from './manage-channel.ts';

/** Every command the ISD implements, one handler per INS. */
export const DEFAULT_HANDLERS: CommandHandler[] = [
  selectHandler,
  getDataHandler,
  getStatusHandler,
  initializeUpdateHandler,
  externalAuthenticateHandler,
  setStatusHandler,
  installHandler,
  loadHandler,
  deleteHandler,
  performSecurityOperationHandler,
  manageChannelHandler,
];
