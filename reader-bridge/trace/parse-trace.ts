import { parseAnnotatedText } from './annotated-text.ts';
import { parseJsonLines } from './json-lines.ts';
import type { TraceEntry } from './trace-entry.ts';

/** Reads a trace in either format: JSON lines when the first non-blank line is an object, else annotated text. */
export function parseTrace(text: string): TraceEntry[] {
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first?.trim().startsWith('{') ? parseJsonLines(text) : parseAnnotatedText(text);
}
