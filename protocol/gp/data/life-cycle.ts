/** Card life cycle states and their coding (GPCS 5.1, Table 11-6). */
export const CARD_LIFE_CYCLE = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;

export type CardLifeCycle = keyof typeof CARD_LIFE_CYCLE;

/** The state name for a coded card life cycle byte, or undefined for a value GP does not define. */
export function cardLifeCycleName(value: number): CardLifeCycle | undefined {
  for (const [name, v] of Object.entries(CARD_LIFE_CYCLE)) if (v === value) return name as CardLifeCycle;
  return undefined;
}

/** Executable Load File and Application life cycle codings (GPCS Tables 11-3, 11-4). */
export const ELF_LOADED = 0x01;
export const APP_INSTALLED = 0x03;
export const APP_SELECTABLE = 0x07;
