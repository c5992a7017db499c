import { SW } from '../../protocol/apdu/index.ts';
import { fromHex } from '../../protocol/bytes.ts';
import type { AppletModel } from './applet-model.ts';

export const ECHO_PACKAGE_AID = fromHex('F04341524445');
export const ECHO_APPLET_AID = fromHex('F0434152444501');

/**
 * An echo applet for tests: answers every command with its own data field and 9000. No state. The
 * answer is the command's data field itself, not a copy: the card copies response data into the R-APDU.
 */
export const echoApplet: AppletModel = {
  name: 'echo',
  moduleAid: ECHO_APPLET_AID,
  install() {},
  process(_ctx, apdu) {
    return { data: apdu.data, sw: SW.SUCCESS };
  },
};
