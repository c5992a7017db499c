import { INSTALL_REQUEST_ANSWER, type InstallRequestAnswer, type InstallRequestBody } from '../../protocol/api/index.ts';
import { toHex } from '../../protocol/bytes.ts';
import { callJson, refusal, serverCode } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowStep } from './flow.ts';

const INSTALL_STEPS = ['S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14'] as const;

/**
 * S8–S10: the signed request goes to the issuer, which verifies card and request and authorises the
 * install. `409 already_installed` (the issuer lists the application on this card) is no failure:
 * S8–S14 are skipped and the flow goes on to the service (S15–S16). `409 order_open` (another order
 * for this card and application is still under way) is reported as the issuer's refusal at S9.
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
      if (install.status === 409 && serverCode(install) === 'already_installed') {
        state.alreadyInstalled = true;
        for (const s of INSTALL_STEPS) flow.done(s, 'the issuer already lists the application on this card', 'skipped');
        return;
      }
      // The issuer's verification is S9; a refusal there is reported as S9.
      const e = refusal('S8', 'install request', install);
      throw new TerminalError('S9', e.code, e.message.replace(/^S8: /, ''), e.detail);
    }
    state.orderId = install.body.orderId;
    state.sessionId = install.body.sessionId;
    state.remoteManagement = install.body.remoteManagement;
    flow.result.orderId = install.body.orderId;
    flow.done('S8', `accepted as order ${install.body.orderId}`);
    flow.done('S9', 'certificate chain, card signature, freshness and replay checked');
    flow.done('S10', `order ${install.body.orderId} ${install.body.state}`);
  },
};
