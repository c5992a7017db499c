import { ORDER_ANSWER, type OrderAnswer } from '../../protocol/api/index.ts';
import { callJson, refusal } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowStep } from './flow.ts';

/** S14: the issuer's order is `confirmed` (it verified the card's install confirmation). Skipped when already installed. */
export const confirmInstall: FlowStep = {
  name: 'confirm-install',
  async run(flow) {
    if (flow.state.alreadyInstalled) return;
    const orderId = needed(flow.state.orderId, 'order');
    // The session id, where the issuer handed one out, is what entitles the terminal to read its order.
    const session = flow.state.sessionId ? `?sessionId=${encodeURIComponent(flow.state.sessionId)}` : '';
    const order = await callJson<OrderAnswer>('S14', flow.issuer(`/install-orders/${encodeURIComponent(orderId)}${session}`), { idempotent: true, answer: ORDER_ANSWER }, flow.http);
    if (!order.ok) throw refusal('S14', 'order status', order);
    if (order.body.state !== 'confirmed') throw new TerminalError('S14', 'install_failed', `order ${orderId} is ${order.body.state}`);
    flow.done('S14', `order ${orderId} confirmed; the issuer recorded the card's new contents`);
  },
};
