/**
 * The CLA byte under GP secure messaging (GPCS 11.1.4 Tables 11-11/11-12, AMD-D 6.2.4).
 * First interindustry coding (channels 0–3): b3 (04) = GP SM, b2..b1 = channel.
 * Further interindustry coding (b7 = 1, channels 4–19): b6 (20) = SM, b4..b1 = channel.
 */

function isFurtherInterindustry(cla: number): boolean {
  return (cla & 0x40) !== 0;
}

/** True when CLA announces GP secure messaging. */
export function hasSecureMessaging(cla: number): boolean {
  return isFurtherInterindustry(cla) ? (cla & 0x20) !== 0 : (cla & 0x04) !== 0;
}

/** CLA as sent on the wire with SM indicated, channel kept: 80 → 84, 00 → 04, C1 → E1. */
export function secureCla(cla: number): number {
  return isFurtherInterindustry(cla) ? cla | 0x20 : (cla & ~0x0c) | 0x04;
}

/** CLA with the SM indication removed, as the command handler sees it: 84 → 80, 04 → 00, E1 → C1. */
export function plainCla(cla: number): number {
  return isFurtherInterindustry(cla) ? cla & ~0x20 : cla & ~0x0c;
}

/**
 * CLA as it enters the C-MAC (AMD-D 6.2.4): logical channel set to zero in the first interindustry
 * coding, b4 = 0, b3 = 1. The channel is deliberately outside the MAC, so a session may move channel.
 * Only b8 (proprietary) and b5 (chaining) survive.
 */
export function macCla(cla: number): number {
  return (cla & 0x90) | 0x04;
}
