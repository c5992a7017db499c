import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { createCard } from '../../simulator/index.ts';
import { ReaderError } from '../reader.ts';
import { FrameDecoder, encodeFrame } from './framing.ts';
import { serveCardOverVpcd, type VpcdCardServer, type VpcdServerEvent } from './vpcd-card-server.ts';

const ATR = '3B8C8001636172646C6162204750323340';
const SELECT_ISD = fromHex('00A4040000');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One card connection as the fake driver sees it: frames in, frames out, like vpcd 0.8 writes them. */
class DriverLine {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => (resolve(), this.wake?.())));
    socket.on('error', () => {});
  }
  /** Sends one message the way vpcd does: the length and the payload in two writes. */
  async send(payload: Uint8Array): Promise<void> {
    const frame = encodeFrame(payload);
    this.socket.write(frame.subarray(0, 2));
    await sleep(2);
    this.socket.write(frame.subarray(2));
  }
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
  async recv(timeoutMs = 2000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.socket.destroyed) throw new Error('the card closed the connection');
      if (Date.now() > deadline) throw new Error('no frame from the card');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    return this.frames.shift()!;
  }
  async exchange(apdu: Uint8Array): Promise<string> {
    await this.send(apdu);
    return toHex(await this.recv());
  }
  get pendingFrames(): number {
    return this.frames.length;
  }
}

/** A fake vpcd driver: a TCP server on a free port that hands out each card connection. */
class FakeVpcd {
  private readonly lines: DriverLine[] = [];
  private readonly sockets = new Set<Socket>();
  private waiting: ((l: DriverLine) => void) | undefined;
  private constructor(readonly server: Server, readonly port: number) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      const line = new DriverLine(s);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
  }
  static async listen(port = 0): Promise<FakeVpcd> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    return new FakeVpcd(server, (server.address() as { port: number }).port);
  }
  nextLine(timeoutMs = 3000): Promise<DriverLine> {
    const queued = this.lines.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the card did not connect')), timeoutMs);
      this.waiting = (l) => (clearTimeout(t), resolve(l));
    });
  }
  get queued(): number {
    return this.lines.length;
  }
  /** pcscd exits: every card connection closes, nothing listens any more. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setUp(options: { events?: VpcdServerEvent[]; exchanges?: string[] } = {}) {
  const driver = await FakeVpcd.listen();
  cleanup.push(() => driver.close());
  const card = createCard({ seed: 0 });
  const server = serveCardOverVpcd(card, {
    port: driver.port,
    backoff: { initialMs: 20, maxMs: 100 },
    onEvent: (e) => options.events?.push(e),
    onExchange: (c, r) => options.exchanges?.push(`${toHex(c)} → ${toHex(r)}`),
  });
  cleanup.push(() => server.stop());
  const line = await driver.nextLine();
  await server.whenConnected();
  return { driver, card, server, line };
}

describe('vpcd card server against a fake vpcd driver', () => {
  it('answers the ATR poll at once whether powered or not, and powers on/off on control messages', async () => {
    const { card, line } = await setUp();
    expect(card.powered).toBe(false);
    await sleep(30);
    expect(line.pendingFrames).toBe(0); // nothing unasked
    await line.send(Uint8Array.of(0x04));
    expect(toHex(await line.recv())).toBe(ATR);
    await line.send(Uint8Array.of(0x01));
    await line.send(Uint8Array.of(0x04));
    expect(toHex(await line.recv())).toBe(ATR);
    expect(card.powered).toBe(true);
    await line.send(Uint8Array.of(0x00));
    await line.send(Uint8Array.of(0x04));
    expect(toHex(await line.recv())).toBe(ATR);
    expect(card.powered).toBe(false);
  });

  it('reassembles split frames and answers several frames of one chunk in order', async () => {
    const exchanges: string[] = [];
    const { line } = await setUp({ exchanges });
    await line.send(Uint8Array.of(0x01));
    expect(await line.exchange(SELECT_ISD)).toMatch(/^6F41.*9000$/);
    // An ATR poll and a GET DATA in one write, then a frame cut in the middle of its payload.
    line.sendRaw(Uint8Array.of(...encodeFrame(Uint8Array.of(0x04)), ...encodeFrame(fromHex('80CA004200'))));
    expect(toHex(await line.recv())).toBe(ATR);
    expect(toHex(await line.recv())).toBe('420342434C9000');
    const f = encodeFrame(fromHex('80CA9F7F00'));
    line.sendRaw(f.subarray(0, 4));
    await sleep(20);
    expect(line.pendingFrames).toBe(0);
    line.sendRaw(f.subarray(4));
    expect(toHex(await line.recv())).toMatch(/^9F7F2A.*9000$/);
    expect(exchanges).toHaveLength(3);
    expect(exchanges[1]).toBe('80CA004200 → 420342434C9000');
  });

  it('warm reset (02) ends the volatile state but keeps the card powered', async () => {
    const { card, line } = await setUp();
    await line.send(Uint8Array.of(0x01));
    expect(await line.exchange(fromHex('80CA9F7F'))).toBe('612D');
    await line.send(Uint8Array.of(0x02));
    expect(await line.exchange(fromHex('00C000002D'))).toBe('6985');
    expect(card.powered).toBe(true);
  });

  it('answers a 1-byte APDU that is no control message with 6700, never with nothing', async () => {
    const { line } = await setUp();
    await line.send(Uint8Array.of(0x01));
    expect(await line.exchange(Uint8Array.of(0x80))).toBe('6700');
  });

  it('goes mute on power loss (disconnects, no empty answer), then comes back as a fresh insertion', async () => {
    const events: VpcdServerEvent[] = [];
    const { driver, card, line } = await setUp({ events });
    await line.send(Uint8Array.of(0x01));
    card.onPersistentWrite(() => 'tear');
    await line.send(fromHex('8050000008112233445566778800'));
    await line.closed;
    expect(line.pendingFrames).toBe(0);
    expect(events.map((e) => e.kind)).toContain('power-loss');
    card.onPersistentWrite(undefined);
    const again = await driver.nextLine();
    expect(card.powered).toBe(false);
    await again.send(Uint8Array.of(0x01));
    expect(await again.exchange(fromHex('8050000008112233445566778800'))).toMatch(/9000$/);
  });

  it('reconnects with backoff when pcscd restarts, and the card is served again', async () => {
    const events: VpcdServerEvent[] = [];
    const { driver, server, line } = await setUp({ events });
    await line.send(Uint8Array.of(0x01));
    const port = driver.port;
    await driver.close();
    await line.closed;
    await sleep(150); // a few refused attempts while nothing listens
    expect(server.connected).toBe(false);
    const restarted = await FakeVpcd.listen(port);
    cleanup.push(() => restarted.close());
    const again = await restarted.nextLine();
    await server.whenConnected();
    await again.send(Uint8Array.of(0x01));
    expect(await again.exchange(SELECT_ISD)).toMatch(/9000$/);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('connected');
    expect(kinds).toContain('disconnected');
    expect(kinds.filter((k) => k === 'retrying').length).toBeGreaterThanOrEqual(1);
    expect(kinds.at(-1)).toBe('connected');
  });

  it('remove() disconnects and stays out; insert() connects again', async () => {
    const { driver, server, card, line } = await setUp();
    await line.send(Uint8Array.of(0x01));
    await line.exchange(SELECT_ISD);
    await server.remove();
    await line.closed;
    expect(card.powered).toBe(false);
    await sleep(150);
    expect(driver.queued).toBe(0);
    server.insert();
    const again = await driver.nextLine();
    await again.send(Uint8Array.of(0x04));
    expect(toHex(await again.recv())).toBe(ATR);
  });

  it('stop() closes the line for good', async () => {
    const { driver, server, line } = await setUp();
    await server.stop();
    await line.closed;
    await sleep(100);
    expect(driver.queued).toBe(0);
    expect(() => server.insert()).toThrow(ReaderError);
  });

  it('answers 6F00 when a responder gives back nothing, so the client never hangs', async () => {
    const driver = await FakeVpcd.listen();
    cleanup.push(() => driver.close());
    const bare = { profile: { atr: Uint8Array.of(0x3b, 0x00) }, powerOn: () => Uint8Array.of(0x3b, 0x00), powerOff() {}, reset: () => Uint8Array.of(0x3b, 0x00), transmit: () => new Uint8Array(0) };
    const server = serveCardOverVpcd(bare, { port: driver.port });
    cleanup.push(() => server.stop());
    const line = await driver.nextLine();
    expect(await line.exchange(SELECT_ISD)).toBe('6F00');
  });

  it('answers 6F00 to a response too long for a vpcd frame instead of dropping the line', async () => {
    const driver = await FakeVpcd.listen();
    cleanup.push(() => driver.close());
    const events: VpcdServerEvent[] = [];
    const atr = Uint8Array.of(0x3b, 0x00);
    const huge = { profile: { atr }, powerOn: () => atr, powerOff() {}, reset: () => atr, transmit: () => new Uint8Array(70_000) };
    const server = serveCardOverVpcd(huge, { port: driver.port, onEvent: (e) => events.push(e) });
    cleanup.push(() => server.stop());
    const line = await driver.nextLine();
    expect(await line.exchange(SELECT_ISD)).toBe('6F00');
    expect(events.at(-1)).toMatchObject({ kind: 'card-error' });
  });

  it('without reconnect, says NO_DAEMON naming pcscd when nothing listens', async () => {
    const probe = await FakeVpcd.listen();
    const port = probe.port;
    await probe.close();
    const server = serveCardOverVpcd(createCard(), { port, reconnect: false });
    cleanup.push(() => server.stop());
    const err = await server.whenConnected().then(() => undefined, (e: unknown) => e as ReaderError);
    expect(err).toBeInstanceOf(ReaderError);
    expect(err!.code).toBe('NO_DAEMON');
    expect(err!.message).toMatch(/ECONNREFUSED.*pcscd/);
  });
});
