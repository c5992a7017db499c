import { parentPort } from 'node:worker_threads';
import { createPcscReader, type PcscReader } from './pcsc-reader.ts';
import { ReaderError } from './reader.ts';
import type { PcscWorkerReply, PcscWorkerRequest } from './pcsc-worker-reader.ts';

/**
 * The PC/SC worker thread: holds every `createPcscReader` of the process (the `smartcard` bindings keep
 * process-wide state, so one thread loads them) and runs the requests of `pcsc-worker-reader.ts` one at
 * a time, in order. Its synchronous PC/SC calls block this thread only.
 */
const port = parentPort!;
const readers = new Map<number, PcscReader>();
const post = (m: PcscWorkerReply) => port.postMessage(m);

function reader(id: number): PcscReader {
  const r = readers.get(id);
  if (!r) throw new ReaderError('TRANSPORT', `PC/SC reader #${id} is closed; create a new one`);
  return r;
}

async function run(req: PcscWorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'open': {
      const r = await createPcscReader(req.options);
      readers.set(req.reader, r);
      r.on('card-inserted', () => post({ event: 'card-inserted', reader: req.reader, present: true }));
      r.on('card-removed', () => post({ event: 'card-removed', reader: req.reader, present: false }));
      return { name: r.name, present: r.isCardPresent() };
    }
    case 'powerOn':
      return reader(req.reader).powerOn();
    case 'transmit':
      return reader(req.reader).transmit(req.capdu);
    case 'powerOff':
      return reader(req.reader).powerOff();
    case 'reset':
      return reader(req.reader).reset();
    case 'present':
      return reader(req.reader).isCardPresent();
    case 'list':
      return reader(req.reader).listReaders();
    case 'close': {
      const r = readers.get(req.reader);
      readers.delete(req.reader);
      return r?.close();
    }
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: PcscWorkerRequest) => {
  queue = queue.then(async () => {
    try {
      post({ id: req.id, ok: true, value: await run(req) });
    } catch (err) {
      const e = err as Error;
      post({ id: req.id, ok: false, error: { code: err instanceof ReaderError ? err.code : undefined, message: e?.message ?? String(err) } });
    }
  });
});
