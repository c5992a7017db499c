import { ACKNOWLEDGE_START_ANSWER, type AcknowledgeStartAnswer, type AcknowledgeStartBody } from '../../protocol/api/index.ts';
import { callJson, refusal, type JsonAnswer } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import { needed, type FlowStep } from './flow.ts';
import { startService } from './start-service.ts';

/**
 * S16, second half: the terminal acknowledges the card's responses to the start commands; the
 * provider makes the member active then, and only then. When the acknowledgement's answer is lost
 * the start is done again (start-service): the provider answers `active` with nothing to send if it
 * had recorded the acknowledgement, else the same commands, which the card applies as no-ops.
 */
export const acknowledgeStart: FlowStep = {
  name: 'acknowledge-start',
  async run(flow) {
    const url = flow.provider(`/services/${encodeURIComponent(flow.serviceId)}/start/ack`);
    for (let round = 1; ; round++) {
      const start = needed(flow.state.start, 'service start');
      if (start.state === 'active' || start.startId === undefined) {
        flow.done('S16', 'service active; the card already applied its start commands');
        return;
      }
      const body: AcknowledgeStartBody = { startId: start.startId, responses: needed(flow.state.startResponses, 'start responses') };
      let answer: JsonAnswer<AcknowledgeStartAnswer> | undefined;
      try {
        answer = await callJson<AcknowledgeStartAnswer, AcknowledgeStartBody>('S16', url, { body, idempotent: false, answer: ACKNOWLEDGE_START_ANSWER }, flow.http);
      } catch (err) {
        if (!(err instanceof TerminalError && err.code === 'network')) throw err;
      }
      if (answer?.ok) {
        flow.done('S16', `service ${answer.body.state}; ${start.commands.length} command(s) sent to the card`);
        return;
      }
      if (answer && answer.status < 500) throw refusal('S16', 'start acknowledgement', answer);
      if (round >= Math.max(1, flow.http.attempts)) throw new TerminalError('S16', 'network', `no answer from the provider to ${round} start acknowledgement(s)`);
      await startService.run(flow);
    }
  },
};
