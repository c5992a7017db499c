/**
 * CLA byte coding (GPCS 11.1.4, Tables 11-11/11-12; ISO 7816-4 §5.4.1). Two layouts:
 * - first interindustry (b7 = 0: 00–1F, 80–9F): b4b3 secure messaging, b2b1 channel 0–3;
 * - further interindustry (b7 = 1: 40–7F, C0–FE): b6 secure messaging, b4–b1 channel 4–19.
 * b8 = 1 marks a GlobalPlatform (proprietary) command; b5 is ISO command chaining in both layouts.
 * A0–BF (b8 = 1, b7 = 0, b6 = 1) is RFU in the first layout and FF is invalid, so neither is GP.
 */
function isFurtherInterindustry(cla: number): boolean {
  return (cla & 0x40) !== 0;
}

/** True for a GlobalPlatform command class: 80–9F on channels 0–3, C0–FE on channels 4–19 (GPCS 11.1.4). */
export function isGpClass(cla: number): boolean {
  if ((cla & 0x80) === 0 || cla === 0xff) return false;
  return isFurtherInterindustry(cla) || (cla & 0x20) === 0;
}

/**
 * True when the class announces secure messaging (GPCS 11.1.4): b3 (GP's C-MAC bit, 84–87, 04–07) or
 * b4 in the first layout, b6 in the further layout. Such a command's data is MAC'd or enciphered.
 */
export function isSecureMessagingClass(cla: number): boolean {
  return isFurtherInterindustry(cla) ? (cla & 0x20) !== 0 : (cla & 0x0c) !== 0;
}

/** The logical channel number a class byte addresses: 0–3 in the first layout, 4–19 in the further one. */
export function logicalChannel(cla: number): number {
  return isFurtherInterindustry(cla) ? 4 + (cla & 0x0f) : cla & 0x03;
}

/**
 * The class byte `cla` moved to logical channel `channel` (GPCS 11.1.4, ISO 7816-4 §5.1.1): channels 0–3 in
 * b2–b1 of the first interindustry coding (secure messaging b3–b4 kept), 4–19 in the further coding.
 */
export function channelCla(cla: number, channel: number): number {
  if (channel < 0 || channel > 19) throw new RangeError('a logical channel is 0–19');
  const proprietary = cla & 0x80;
  const chaining = cla & 0x10;
  const further = (cla & 0x40) !== 0;
  const sm = further ? (cla & 0x20) !== 0 : (cla & 0x0c) !== 0;
  if (channel <= 3) return proprietary | chaining | (further ? (sm ? 0x04 : 0) : cla & 0x0c) | channel;
  return proprietary | 0x40 | (sm ? 0x20 : 0) | chaining | (channel - 4);
}
