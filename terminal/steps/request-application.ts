import { SELECT_SERVICE_ANSWER, type SelectServiceAnswer, type SelectServiceBody } from '../../protocol/api/index.ts';
import { callJson, refusal } from '../http-client.ts';
import { needed, type FlowStep } from './flow.ts';

/** S6: the provider issues the application request (protocol/provisioning, tag 71) the card signs. */
export const requestApplication: FlowStep = {
  name: 'request-application',
  async run(flow) {
    const url = flow.provider(`/services/${encodeURIComponent(flow.serviceId)}/select`);
    const selection = await callJson<SelectServiceAnswer, SelectServiceBody>('S6', url, { body: { cardId: needed(flow.state.cardId, 'CIN') }, idempotent: true, answer: SELECT_SERVICE_ANSWER }, flow.http);
    if (!selection.ok) throw refusal('S6', 'service selection', selection);
    flow.state.selection = selection.body;
    flow.done('S6', `request of ${selection.body.encodedRequest.length / 2} bytes, valid until ${new Date(selection.body.request.expiresAt * 1000).toISOString()}`);
  },
};
