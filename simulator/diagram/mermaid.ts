import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface MermaidOptions {
  /** Layout direction written as `direction …` (Mermaid's default, top to bottom, when left out). */
  direction?: 'TB' | 'BT' | 'LR' | 'RL';
}

/** One arrow of the diagram: a transition to one of its targets, or a final state's arrow to `[*]`. */
interface Edge {
  from: AnyStateNode;
  to: AnyStateNode | 'end';
  label: string;
}

/**
 * Writes an XState v5 machine as a Mermaid `stateDiagram-v2`, read from the machine's own state nodes so
 * that the picture cannot drift from the machine: composite states as `state … { }`, the regions of a
 * parallel state separated by `--`, `[*] --> initial`, final states `--> [*]`, and every transition with a
 * target as `source --> target : event [guard]` — drawn from the state that declares it (a parent's
 * transition leaves the parent's box), eventless ones as `always [guard]`, re-entering ones marked
 * `(reenter)`. Transitions without a target (actions only) change no state and are not drawn.
 * Every state gets a path-based Mermaid id (`on_channel_idle`) labelled with its key, so keys repeated in
 * different regions stay distinct. The same machine always gives the same text.
 */
export function toMermaidStateDiagram(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const root = machine.root;
  const ids = assignIds(root);
  // The root gets a box only when something needs one: its own transitions, or regions to separate.
  const boxRoot = root.type !== 'compound' || root.transitions.size > 0 || (root.always?.length ?? 0) > 0;
  const slots = new Map<string, Edge[]>();
  for (const edge of collectEdges(root)) {
    const key = slotOf(edge, ids);
    const slot = slots.get(key);
    if (slot) slot.push(edge);
    else slots.set(key, [edge]);
  }
  const lines = ['stateDiagram-v2'];
  if (options.direction) lines.push(`  direction ${options.direction}`);
  const writer: Writer = { ids, slots, lines };
  if (boxRoot) {
    writeEdges(writer, '', 1);
    writeNode(writer, root, 1);
  } else {
    writeContents(writer, root, 1);
  }
  return lines.join('\n') + '\n';
}

interface Writer {
  ids: Map<AnyStateNode, string>;
  slots: Map<string, Edge[]>;
  lines: string[];
}

/** Declares a state (a box with its contents when it has children). */
function writeNode(w: Writer, node: AnyStateNode, depth: number): void {
  const pad = '  '.repeat(depth);
  const head = `${pad}state "${stateLabel(node)}" as ${w.ids.get(node)}`;
  if (Object.keys(node.states).length === 0) {
    w.lines.push(head);
    return;
  }
  w.lines.push(`${head} {`);
  writeContents(w, node, depth + 1);
  w.lines.push(`${pad}}`);
}

/** The inside of a box: `[*] --> initial`, the arrows drawn at this level, then the children (regions between `--`). */
function writeContents(w: Writer, node: AnyStateNode, depth: number): void {
  const pad = '  '.repeat(depth);
  const children = Object.values(node.states);
  if (node.type !== 'parallel') {
    for (const target of node.initial?.target ?? []) w.lines.push(`${pad}[*] --> ${w.ids.get(target)}`);
  }
  // Arrows come before the states: Mermaid puts a state in the box where it is last mentioned.
  writeEdges(w, w.ids.get(node)!, depth);
  children.forEach((child, i) => {
    if (i > 0 && node.type === 'parallel') w.lines.push(`${pad}--`);
    writeNode(w, child, depth);
  });
}

function writeEdges(w: Writer, slot: string, depth: number): void {
  const pad = '  '.repeat(depth);
  for (const e of w.slots.get(slot) ?? []) {
    const to = e.to === 'end' ? '[*]' : w.ids.get(e.to);
    w.lines.push(`${pad}${w.ids.get(e.from)} --> ${to}${e.label ? ` : ${e.label}` : ''}`);
  }
}

/** Every arrow in document order: each state's transitions (`on`, `after`, `onDone`, …), then `always`. */
function collectEdges(node: AnyStateNode): Edge[] {
  const edges: Edge[] = [];
  if (node.type === 'final') edges.push({ from: node, to: 'end', label: '' });
  for (const [eventType, transitions] of node.transitions) {
    for (const t of transitions) edges.push(...edgesOf(node, t, eventLabel(node, eventType, t)));
  }
  for (const t of node.always ?? []) edges.push(...edgesOf(node, t, 'always'));
  for (const child of Object.values(node.states)) edges.push(...collectEdges(child));
  return edges;
}

function edgesOf(from: AnyStateNode, t: AnyTransitionDefinition, event: string): Edge[] {
  const guard = t.guard === undefined ? '' : `[${guardLabel(t.guard)}]`;
  const label = [event, guard, t.reenter ? '(reenter)' : ''].filter(Boolean).join(' ');
  return (t.target ?? []).map((to) => ({ from, to, label: oneLine(label) }));
}

function eventLabel(node: AnyStateNode, eventType: string, t: AnyTransitionDefinition): string {
  if ('delay' in t) {
    const delay = (t as { delay: unknown }).delay;
    if (typeof delay === 'number') return `after ${delay}ms`;
    if (typeof delay === 'string') return `after ${delay}`;
  }
  if (eventType === `xstate.done.state.${node.id}`) return 'onDone';
  return eventType;
}

/**
 * A guard's name: a referenced guard's type, `!a`, `a && b`, `a || b` for xstate's `not`, `and`, `or`,
 * `in(state)` for `stateIn`, and `inline` for an anonymous predicate.
 */
function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  const type = typeof guard === 'object' && guard !== null ? (guard as { type?: unknown }).type : undefined;
  if (typeof type === 'string') return type;
  if (typeof guard !== 'function') return 'guard';
  const fn = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
  if (Array.isArray(fn.guards)) {
    const parts = fn.guards.map((g) => {
      const label = guardLabel(g);
      return /\s/.test(label) ? `(${label})` : label;
    });
    if (fn.name === 'not') return `!${parts[0]}`;
    if (fn.name === 'and') return parts.join(' && ');
    if (fn.name === 'or') return parts.join(' || ');
    return `${fn.name}(${parts.join(', ')})`;
  }
  if ('stateValue' in fn) {
    return `in(${typeof fn.stateValue === 'string' ? fn.stateValue : JSON.stringify(fn.stateValue)})`;
  }
  return fn.name && fn.name !== 'guard' ? fn.name : 'inline';
}

/** Where an arrow is written: in the innermost box that holds both ends ('' for the top level). */
function slotOf(edge: Edge, ids: Map<AnyStateNode, string>): string {
  let scope: AnyStateNode | undefined;
  if (edge.to === 'end') scope = edge.from.parent;
  else {
    const common = commonAncestor(edge.from, edge.to);
    scope = common === edge.from || common === edge.to ? common.parent : common;
  }
  return scope === undefined ? '' : ids.get(scope)!;
}

function commonAncestor(a: AnyStateNode, b: AnyStateNode): AnyStateNode {
  const ancestors = new Set<AnyStateNode>();
  for (let n: AnyStateNode | undefined = a; n; n = n.parent) ancestors.add(n);
  let n: AnyStateNode = b;
  while (!ancestors.has(n)) n = n.parent!;
  return n;
}

/** Words Mermaid's state-diagram grammar reads as keywords (case-insensitive); an id never is one. */
const RESERVED = new Set(
  ['state', 'note', 'class', 'classdef', 'style', 'default', 'scale', 'click', 'end', 'direction', 'hide'],
);

/** Path-based ids (`on_channel_idle`), only letters, digits and `_`, unique in document order. */
function assignIds(root: AnyStateNode): Map<AnyStateNode, string> {
  const ids = new Map<AnyStateNode, string>();
  const used = new Set<string>();
  const visit = (node: AnyStateNode): void => {
    let base = (node.path.length === 0 ? node.key : node.path.join('_')).replace(/[^A-Za-z0-9_]/g, '_') || '_';
    if (RESERVED.has(base.toLowerCase())) base += '_';
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(node, id);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(root);
  return ids;
}

function stateLabel(node: AnyStateNode): string {
  const text = node.type === 'history' ? `${node.key} (${node.history === 'deep' ? 'H*' : 'H'})` : node.key;
  return oneLine(text).replace(/"/g, '#quot;');
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
