import { START_REQUEST_ANSWER, type StartRequestAnswer, type StartRequestBody } from '../../protocol/api/index.ts';
import { callJson, refusal, serverCode } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowStep } from './flow.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * S15: waits until the issuer has told the provider of the new member — the provider then issues a
 * start request for the card (`POST /services/{id}/start-requests`, `409 not_a_member` before) —
 * polling with backoff (100 ms doubling to 2 s) until `notificationTimeoutMs`.
 */
export const awaitMember: FlowStep = {
  name: 'await-member',
  async run(flow) {
    const url = flow.provider(`/services/${encodeURIComponent(flow.serviceId)}/start-requests`);
    const body: StartRequestBody = { cardId: needed(flow.state.cardId, 'CIN') };
    const deadline = Date.now() + flow.notificationTimeoutMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      const answer = await callJson<StartRequestAnswer, StartRequestBody>('S15', url, { body, idempotent: true, answer: START_REQUEST_ANSWER }, flow.http);
      if (answer.ok) {
        flow.state.startRequest = answer.body;
        flow.done('S15', 'member recorded by the provider');
        return;
      }
      if (answer.status !== 409 || serverCode(answer) !== 'not_a_member') throw refusal('S15', 'service start request', answer);
      if (Date.now() + wait > deadline) {
        throw new TerminalError('S15', 'not_notified', `the provider still does not list this card as a member after ${flow.notificationTimeoutMs} ms`, { serverCode: 'not_a_member' });
      }
      await sleep(wait);
    }
  },
};
