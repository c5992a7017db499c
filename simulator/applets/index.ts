import type { AppletModel } from './applet-model.ts';
import { loyaltyApplet } from './loyalty-applet.ts';
import { echoApplet } from './echo-applet.ts';

export type { AppletModel, AppletContext } from './applet-model.ts';
export { loyaltyApplet, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, LOYALTY_INS } from './loyalty-applet.ts';
export { echoApplet, ECHO_APPLET_AID, ECHO_PACKAGE_AID } from './echo-applet.ts';

/** The applet models every card knows unless told otherwise. */
export const DEFAULT_APPLETS: AppletModel[] = [loyaltyApplet, echoApplet];
