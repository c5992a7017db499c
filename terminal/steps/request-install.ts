import { INSTALL_REQUEST_ANSWER, type InstallRequestAnswer, type InstallRequestBody, type OrderOpenAnswer } from '../../protocol/api/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { callJson, conformsTo, refusal, serverCode } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowContext, type FlowStep } from './flow.ts';

const INSTALL_STEPS = ['S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14'] as const;

/**
 * S8–S10: the signed request goes to the issuer, which verifies card and request and authorises the
 * install. `409 already_installed` (the issuer lists the application on this card) is no failure:
 * S8–S14 are skipped and the flow goes on to the service (S15–S16). `409 order_open` (another order
 * for this card and application is still under way) carries that order when it waits for remote
 * management (`openOrder`): the flow resumes it (S11–S14 on its session), so a session lost with a
 * terminal or an issuer costs no waiting; without it, it is the issuer's refusal at S9.
 * Retried like an idempotent call: the issuer answers the very same signed request with the same
 * order while it waits for remote management, so a lost answer costs no order.
 */
export const requestInstall: FlowStep = {
  name: 'request-install',
  async run(flow) {
    const { state } = flow;
    const selection = needed(state.selection, 'application request');
    const body: InstallRequestBody = {
      request: selection.encodedRequest,
      signature: toHex(needed(state.signature, 'card signature')),
      certificate: toHex(needed(state.certificate, 'card certificate')),
      providerId: selection.providerId,
      providerAuthorisation: selection.providerAuthorisation,
    };
    const install = await callJson<InstallRequestAnswer, InstallRequestBody>('S8', flow.issuer('/install-requests'), { body, idempotent: true, answer: INSTALL_REQUEST_ANSWER }, flow.http);
    if (!install.ok) {
      const open = install.status === 409 && serverCode(install) === 'order_open' ? openOrderOf(install.body) : undefined;
      if (open) {
        // An earlier run's order for this card and application waits for remote management (its session
        // was lost with a terminal or an issuer): this run finishes that order instead of a new one.
        takeOrder(flow, open, `order ${open.orderId} was open: resuming it`);
        return;
      }
      if (install.status === 409 && serverCode(install) === 'already_installed') {
        state.alreadyInstalled = true;
        for (const s of INSTALL_STEPS) flow.done(s, 'the issuer already lists the application on this card', 'skipped');
        return;
      }
      // The issuer's verification is S9; a refusal there is reported as S9.
      const e = refusal('S8', 'install request', install);
      throw new TerminalError('S9', e.code, e.message.replace(/^S8: /, ''), e.detail);
    }
    takeOrder(flow, install.body, `accepted as order ${install.body.orderId}`);
  },
};

function takeOrder(flow: FlowContext, order: InstallRequestAnswer, s8: string): void {
  flow.state.orderId = order.orderId;
  flow.state.sessionId = order.sessionId;
  flow.state.remoteManagement = order.remoteManagement;
  flow.result.orderId = order.orderId;
  flow.done('S8', s8);
  flow.done('S9', 'certificate chain, card signature, freshness and replay checked');
  flow.done('S10', `order ${order.orderId} ${order.state}`);
}

/** The open order a 409 `order_open` offers to the card that asked, if it is a well-formed one. */
function openOrderOf(body: unknown): InstallRequestAnswer | undefined {
  const open = (body as OrderOpenAnswer | undefined)?.openOrder;
  return open !== undefined && conformsTo(open, INSTALL_REQUEST_ANSWER) ? open : undefined;
}
