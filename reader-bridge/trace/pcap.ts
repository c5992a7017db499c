import { concat, fromHex } from '../../protocol/bytes.ts';
import type { TraceEntry } from './trace-entry.ts';

/**
 * A trace as a pcap file Wireshark reads: each exchange one GSMTAP packet of type SIM over UDP to port
 * 4729, which Wireshark hands to its GSM SIM dissector (packet-gsm_sim.c).
 *
 * The GSMTAP header is libosmocore's `struct gsmtap_hdr` (include/osmocom/core/gsmtap.h), 16 bytes:
 * version 2, header length 4 (in 32-bit words), type 4 (GSMTAP_TYPE_SIM), timeslot, ARFCN (2), signal
 * dBm, SNR dB, frame number (4), sub-type 0 (GSMTAP_SIM_APDU, "APDU data (complete APDU)"), antenna,
 * sub-slot, reserved; IANA gave GSMTAP UDP port 4729.
 *
 * The payload is the C-APDU followed by the R-APDU. The GSM SIM dissector registered for GSMTAP_TYPE_SIM
 * reads one payload as both ("the tvb contains the command followed by the response. The response
 * consists of response data followed by the 2 octet status word", dissect_cmd_apdu_tvb with isSIMtrace):
 * it takes the status word from the last two bytes and the command header from the first four, as
 * osmo-simtrace and pySim send it (CLA INS P1 P2 P3 data SW). So only answered exchanges become packets;
 * ATRs and events have no place there (Wireshark 4.0 reads even a packet of sub-type GSMTAP_SIM_ATR as an APDU). What the dissector
 * makes of the rest:
 * - it knows ISO 7816-4 and ETSI TS 102 221 (UICC) class bytes only: GP's CLA 80 shows as class coding 8
 *   "ETSI TS 102.221", 84 as "Proprietary SM format"; the bytes are exported as the card saw them;
 * - INS is named from the SIM/UICC table (A4 SELECT, F2 STATUS, 70 MANAGE CHANNEL, E2 STORE DATA), so
 *   GP's E6 INSTALL and E8 LOAD read as TS 102 221's TERMINATE DF and TERMINATE EF, and the rest of GP's
 *   instructions as "Unknown (0x50)" (INITIALIZE UPDATE), "Unknown (0x82)" (EXTERNAL AUTHENTICATE);
 * - a short Le of 00 followed by response data is read as the start of an extended length (P3 00 and two
 *   bytes after it), so such a command's length fields, not its INS or status word, come out wrong.
 */

/** GSMTAP's IANA-registered UDP port. */
export const GSMTAP_UDP_PORT = 4729;
const GSMTAP_VERSION = 2;
const GSMTAP_HDR_WORDS = 4;
const GSMTAP_TYPE_SIM = 4;
const GSMTAP_SIM_APDU = 0;
/** pcap link type 1: Ethernet (LINKTYPE_ETHERNET), which every pcap reader decodes down to UDP. */
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262_144;
const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;
const GSMTAP = GSMTAP_HDR_WORDS * 4;
/** The largest payload one IPv4 datagram carries: total length 65535. */
const MAX_PAYLOAD = 0xffff - IPV4 - UDP - GSMTAP;
const LOOPBACK = [127, 0, 0, 1] as const;

/** One answered exchange of a trace: when the command went out (ms), and command ‖ response. */
export interface GsmtapExchange {
  t: number;
  payload: Uint8Array;
}

export interface PcapOptions {
  /** Milliseconds since the Unix epoch at the trace's time 0 (default 0: times read as seconds since the trace began). */
  startMs?: number;
}

/**
 * The answered exchanges of a trace, each as one GSMTAP SIM payload (C-APDU ‖ R-APDU), stamped with its
 * command's time. A command without an answer (power lost, card pulled) is left out. A trace without
 * timing (every command at 0, as a golden transcript) is stamped 1 ms apart from 0 so the order shows.
 */
export function gsmtapExchanges(entries: readonly TraceEntry[]): GsmtapExchange[] {
  const out: GsmtapExchange[] = [];
  for (let i = 0; i + 1 < entries.length; i++) {
    const c = entries[i]!;
    const r = entries[i + 1]!;
    if (c.dir !== 'C' || r.dir !== 'R') continue;
    out.push({ t: c.t, payload: concat(fromHex(c.hex), fromHex(r.hex)) });
    i++;
  }
  if (out.every((x) => x.t === 0)) out.forEach((x, i) => (x.t = i));
  return out;
}

/**
 * Writes a trace as a classic pcap file (magic A1B2C3D4 little-endian, version 2.4, microsecond times,
 * link type Ethernet): per answered exchange one Ethernet ‖ IPv4 ‖ UDP ‖ GSMTAP ‖ C-APDU ‖ R-APDU frame
 * from 127.0.0.1 to 127.0.0.1 port 4729, with correct IPv4 and UDP lengths and checksums (RFC 791, RFC 768).
 */
export function toGsmtapPcap(entries: readonly TraceEntry[], options: PcapOptions = {}): Uint8Array {
  const exchanges = gsmtapExchanges(entries);
  const parts: Uint8Array[] = [pcapHeader()];
  exchanges.forEach((x, n) => {
    if (x.payload.length > MAX_PAYLOAD) throw new RangeError(`exchange ${n + 1} is ${x.payload.length} bytes; one GSMTAP packet over IPv4 holds at most ${MAX_PAYLOAD}`);
    const frame = ethernetFrame(n, concat(gsmtapHeader(), x.payload));
    // In whole microseconds apart, so the epoch's large number cannot round away the trace's µs.
    parts.push(recordHeader(Math.round((options.startMs ?? 0) * 1000) + Math.round(x.t * 1000), frame.length), frame);
  });
  return concat(...parts);
}

/** The pcap global header (libpcap file format: magic, version 2.4, thiszone, sigfigs, snaplen, network). */
function pcapHeader(): Uint8Array {
  const b = new DataView(new ArrayBuffer(24));
  b.setUint32(0, 0xa1b2c3d4, true);
  b.setUint16(4, 2, true);
  b.setUint16(6, 4, true);
  b.setUint32(16, SNAPLEN, true);
  b.setUint32(20, LINKTYPE_ETHERNET, true);
  return new Uint8Array(b.buffer);
}

/** A pcap record header: seconds, microseconds, captured and original length (the whole frame). */
function recordHeader(us: number, length: number): Uint8Array {
  const b = new DataView(new ArrayBuffer(16));
  b.setUint32(0, Math.floor(us / 1_000_000), true);
  b.setUint32(4, us % 1_000_000, true);
  b.setUint32(8, length, true);
  b.setUint32(12, length, true);
  return new Uint8Array(b.buffer);
}

function gsmtapHeader(): Uint8Array {
  const h = new Uint8Array(GSMTAP);
  h[0] = GSMTAP_VERSION;
  h[1] = GSMTAP_HDR_WORDS;
  h[2] = GSMTAP_TYPE_SIM;
  h[12] = GSMTAP_SIM_APDU;
  return h;
}

/** Ethernet II (locally administered addresses, EtherType IPv4) ‖ IPv4 ‖ UDP to port 4729 ‖ `payload`. */
function ethernetFrame(id: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETHERNET + IPV4 + UDP + payload.length);
  const v = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
  const ip = ETHERNET;
  f[ip] = 0x45; // version 4, header of 5 words
  v.setUint16(ip + 2, IPV4 + UDP + payload.length);
  v.setUint16(ip + 4, id & 0xffff);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  f[ip + 8] = 64; // TTL
  f[ip + 9] = 17; // UDP
  f.set(LOOPBACK, ip + 12);
  f.set(LOOPBACK, ip + 16);
  v.setUint16(ip + 10, internetChecksum(f.subarray(ip, ip + IPV4)));
  const udp = ip + IPV4;
  v.setUint16(udp, GSMTAP_UDP_PORT);
  v.setUint16(udp + 2, GSMTAP_UDP_PORT);
  v.setUint16(udp + 4, UDP + payload.length);
  f.set(payload, udp + UDP);
  // RFC 768: the checksum covers a pseudo-header (source, destination, zero, protocol, UDP length) too; 0 is sent as FFFF.
  const pseudo = concat(f.subarray(ip + 12, ip + 20), Uint8Array.of(0, 17, (UDP + payload.length) >> 8, (UDP + payload.length) & 0xff), f.subarray(udp));
  v.setUint16(udp + 6, internetChecksum(pseudo) || 0xffff);
  return f;
}

/** The Internet checksum (RFC 1071): one's complement of the one's-complement sum of 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
