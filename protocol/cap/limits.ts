/** Largest Method component the CAP writer makes (its size is a u2 in the component header, JCVM 6.9). */
export const MAX_CODE_SIZE = 0xffff;
