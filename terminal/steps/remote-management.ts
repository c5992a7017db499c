import { runLocalAgent } from '../local-agent.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowStep } from './flow.ts';

/**
 * S11–S13: the GP SERAM session (local-agent.ts): handshake, the issuer's orders relayed to the card
 * byte for byte, until its stop. The order's verdict comes as the `notificationCommand`
 * `install/<orderId>/confirmed` or `…/failed/<code>`. Skipped when the application is installed.
 */
export const remoteManagement: FlowStep = {
  name: 'remote-management',
  async run(flow) {
    const { state } = flow;
    if (state.alreadyInstalled) return;
    const orderId = needed(state.orderId, 'order');
    const urls = needed(state.remoteManagement, 'remote management URLs');
    let exchanges = 0;
    const session = await runLocalAgent({
      handshakeUrl: urls.handshake,
      remoteManagementUrl: urls.remoteManagement,
      seId: needed(state.cardId, 'CIN'),
      reader: flow.reader,
      http: { ...flow.http, attempts: 1 },
      onExchange: () => void exchanges++,
    });
    flow.done('S11', 'handshake accepted');
    const verdict = session.notifications.find((n) => n.startsWith(`install/${orderId}/`)) ?? session.notifications[0];
    if (session.cardError) {
      // The card left mid-order: that is the cause to report, whatever the issuer then made of the order.
      const e = session.cardError;
      throw new TerminalError('S12', 'card', `the card in ${flow.reader.name} stopped answering after ${exchanges - 1} of the issuer's APDUs (${e.code}: ${e.message}); the issuer ended the order${verdict ? ` (${verdict})` : ''}`);
    }
    flow.done('S12', `${exchanges} APDU(s) relayed in ${session.reports} report(s)`);
    flow.done('S13', `session stopped${verdict ? `: ${verdict}` : ''}`);
    if (!verdict || !verdict.includes('/confirmed')) {
      const code = verdict?.split('/failed/')[1];
      throw new TerminalError('S14', 'install_failed', `the issuer reports the install ${code ? `failed: ${code}` : 'did not complete'}`, code ? { serverCode: code } : {});
    }
  },
};
