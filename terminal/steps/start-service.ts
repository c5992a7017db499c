import {
  START_REQUEST_ANSWER,
  START_SERVICE_ANSWER,
  type StartRequestAnswer,
  type StartRequestBody,
  type StartServiceAnswer,
  type StartServiceBody,
} from '../../protocol/api/index.ts';
import { SW, swHex, swOf } from '../../protocol/apdu/index.ts';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { callJson, refusal, type JsonAnswer } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { cardSigns } from './card-signature.ts';
import { needed, type FlowContext, type FlowStep } from './flow.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A start request not used yet: the one S15 obtained, else a new one. */
async function freshStartRequest(flow: FlowContext): Promise<StartRequestAnswer> {
  const kept = flow.state.startRequest;
  flow.state.startRequest = undefined;
  if (kept) return kept;
  const url = flow.provider(`/services/${encodeURIComponent(flow.serviceId)}/start-requests`);
  const answer = await callJson<StartRequestAnswer, StartRequestBody>('S16', url, { body: { cardId: needed(flow.state.cardId, 'CIN') }, idempotent: true, answer: START_REQUEST_ANSWER }, flow.http);
  if (!answer.ok) throw refusal('S16', 'service start request', answer);
  return answer.body;
}

/** One card-signed start: undefined when its answer was lost (network, 5xx), so a new one is due. */
async function signedStart(flow: FlowContext): Promise<JsonAnswer<StartServiceAnswer> | undefined> {
  const request = await freshStartRequest(flow);
  const signature = await cardSigns(flow.card, 'S16', fromHex(request.encodedRequest));
  const url = flow.provider(`/services/${encodeURIComponent(flow.serviceId)}/start`);
  try {
    const answer = await callJson<StartServiceAnswer, StartServiceBody>('S16', url, { body: { request: request.encodedRequest, signature: toHex(signature) }, idempotent: false, answer: START_SERVICE_ANSWER }, flow.http);
    return !answer.ok && answer.status >= 500 ? undefined : answer;
  } catch (err) {
    if (err instanceof TerminalError && err.code === 'network') return undefined;
    throw err;
  }
}

/**
 * S16, first half: the card signs a start request (PERFORM SECURITY OPERATION, as in S7), the
 * provider answers the start commands, and the terminal sends them to the card, each answering 9000.
 * A start whose answer is lost is done again with a new signed request (each is used once): the
 * provider hands out the same commands until they are acknowledged, and the card applies a repeat
 * of CREDIT [once] as a no-op. At most `http.attempts` starts.
 */
export const startService: FlowStep = {
  name: 'start-service',
  async run(flow) {
    let answer: JsonAnswer<StartServiceAnswer> | undefined;
    for (let attempt = 1; attempt <= Math.max(1, flow.http.attempts) && !answer; attempt++) {
      if (attempt > 1) await sleep(200 * 2 ** (attempt - 2));
      answer = await signedStart(flow);
    }
    if (!answer) throw new TerminalError('S16', 'network', `no answer from the provider to ${flow.http.attempts} card-signed start(s)`);
    if (!answer.ok) throw refusal('S16', 'service start', answer);
    const start = answer.body;
    flow.state.start = start;
    const responses: string[] = [];
    for (const hex of start.commands) {
      const r = await flow.card.send('S16', fromHex(hex));
      responses.push(toHex(r));
      if (swOf(r) !== SW.SUCCESS) {
        flow.result.serviceResponses = responses.map((x) => x.slice(-4));
        throw new TerminalError('S16', 'card', `the service's command ${hex.slice(0, 10)}… answered ${swHex(swOf(r))}`, { sw: swHex(swOf(r)) });
      }
    }
    flow.state.startResponses = responses;
    flow.result.serviceResponses = responses.map((x) => x.slice(-4));
  },
};
