import { buildSelect } from '../../protocol/gp/commands/index.ts';
import type { DemoService } from '../../servers/index.ts';
import { ECHO_APPLET_AID, ECHO_PACKAGE_AID, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID } from '../../simulator/index.ts';

/**
 * The two services `cardlab serve` and the embedded scenario servers offer: `loyalty` (credits 100 points
 * once at start: SELECT, then the provider's CREDIT [once] with a transaction id of its own per member,
 * so a resent start never credits twice) and `echo`, with CAPs built by `buildCap` for the simulator's
 * applet models.
 */
export function demoServices(): DemoService[] {
  return [
    {
      id: 'loyalty',
      name: 'Loyalty points',
      description: 'A loyalty purse credited with 100 points at start',
      packageAid: LOYALTY_PACKAGE_AID,
      appletAid: LOYALTY_APPLET_AID,
      codeSize: 2048,
      startCommands: [buildSelect(LOYALTY_APPLET_AID)],
      openingCredit: 100,
    },
    {
      id: 'echo',
      name: 'Echo',
      description: 'An applet that answers what it is sent',
      packageAid: ECHO_PACKAGE_AID,
      appletAid: ECHO_APPLET_AID,
      codeSize: 512,
      startCommands: [buildSelect(ECHO_APPLET_AID)],
    },
  ];
}
