import { toHex } from '../../protocol/bytes.ts';
import { createDialogueAnnotator, type DescribedApplet } from '../../protocol/describe.ts';
import { DEFAULT_APPLETS } from '../../simulator/index.ts';
import { ReaderError, type Reader } from '../reader.ts';
import { roundMs, type TraceEntry, type TraceSink } from './trace-entry.ts';

/** What withTrace knows beyond the bytes. */
export interface TraceOptions {
  /**
   * The applet models whose names the annotations use for commands to their instances (`CREDIT amount 100`
   * rather than `INS 52`); default the models every simulated card knows (DEFAULT_APPLETS).
   */
  applets?: readonly DescribedApplet[];
}

/**
 * Records every power-on, reset, power-off, exchange, card event and error of `reader` into `sink`,
 * each exchange annotated (`createDialogueAnnotator()` of protocol/describe.ts: the applet selected on
 * the channel names its own commands). Timestamps are milliseconds since this call. The wrapped reader
 * behaves exactly like the original.
 */
export function withTrace(reader: Reader, sink: TraceSink, options: TraceOptions = {}): Reader {
  const start = performance.now();
  const annotator = createDialogueAnnotator(options.applets ?? DEFAULT_APPLETS);
  const push = Array.isArray(sink) ? (e: TraceEntry) => void sink.push(e) : sink;
  const now = () => roundMs(performance.now() - start);
  const event = (note: string[]) => push({ t: now(), dir: 'EVENT', hex: '', note });
  const failed = (err: unknown): never => {
    if (err instanceof ReaderError) event(['error', err.code, err.message]);
    else event(['error', 'TRANSPORT', (err as Error)?.message ?? String(err)]);
    throw err;
  };
  const unsubscribe = [
    reader.on('card-inserted', () => event(['card-inserted'])),
    reader.on('card-removed', () => event(['card-removed'])),
  ];

  return {
    name: reader.name,
    async powerOn() {
      const atr = await reader.powerOn().catch(failed);
      annotator.reset();
      push({ t: now(), dir: 'ATR', hex: toHex(atr), note: ['power-on'] });
      return atr;
    },
    async reset() {
      const atr = await reader.reset().catch(failed);
      annotator.reset();
      push({ t: now(), dir: 'ATR', hex: toHex(atr), note: ['reset'] });
      return atr;
    },
    async powerOff() {
      await reader.powerOff().catch(failed);
      event(['power-off']);
    },
    async transmit(capdu) {
      push({ t: now(), dir: 'C', hex: toHex(capdu) });
      const rapdu = await reader.transmit(capdu).catch(failed);
      push({ t: now(), dir: 'R', hex: toHex(rapdu), note: annotator.annotate(capdu, rapdu) });
      return rapdu;
    },
    isCardPresent: () => reader.isCardPresent(),
    on: (e, fn) => reader.on(e, fn),
    async close() {
      for (const off of unsubscribe) off();
      await reader.close();
    },
  };
}
