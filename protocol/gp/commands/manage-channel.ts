import { buildCommandApdu, channelCla } from '../../apdu/index.ts';

export { channelCla };

/**
 * MANAGE CHANNEL (ISO 7816-4 §11.1.2, GPCS 11.7), sent from logical channel `origin` (0 = basic):
 * open `00 70 00 00 01` (the card picks the channel and answers its number) or `00 70 00 0n` (open
 * channel n, no response data); close `00 70 80 0n`.
 */
export function buildManageChannelOpen(options: { channel?: number; origin?: number } = {}): Uint8Array {
  const channel = options.channel ?? 0;
  if (channel < 0 || channel > 19) throw new RangeError('a logical channel is 0–19');
  return buildCommandApdu({ cla: channelCla(0x00, options.origin ?? 0), ins: 0x70, p1: 0x00, p2: channel, ne: channel === 0 ? 1 : undefined });
}

export function buildManageChannelClose(channel: number, options: { origin?: number } = {}): Uint8Array {
  if (channel < 1 || channel > 19) throw new RangeError('a supplementary logical channel is 1–19');
  return buildCommandApdu({ cla: channelCla(0x00, options.origin ?? channel), ins: 0x70, p1: 0x80, p2: channel });
}

/** A command APDU (plain or already wrapped: the channel is outside the SCP03 MAC, AMD-D 6.2.4) sent on `channel`. */
export function onChannel(capdu: Uint8Array, channel: number): Uint8Array {
  const out = capdu.slice();
  out[0] = channelCla(capdu[0]!, channel);
  return out;
}
