import { describe, expect, it } from 'vitest';
import { and, createMachine, not, or, setup, stateIn } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { cardMachine } from '../index.ts';
import { toMermaidStateDiagram } from './mermaid.ts';

const lines = (...l: string[]): string => l.join('\n') + '\n';

/** Nested states, a guard, a final state, a parent's transitions, a re-entering self-transition, onDone. */
const door = setup({ guards: { hasKey: () => true } }).createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    closed: { on: { open: 'opened', lock: 'locked', knock: { actions: () => {} } } },
    locked: { on: { unlock: { target: 'closed', guard: 'hasKey' } } },
    opened: {
      initial: 'swinging',
      states: { swinging: { on: { stop: 'still' } }, still: { type: 'final' } },
      on: { close: 'closed', slam: { target: 'opened', reenter: true } },
      onDone: 'closed',
    },
  },
});

/** A parallel root whose regions repeat the keys `idle` and `busy`; eventless and composed guards. */
const regions = setup({ guards: { ready: () => true, allowed: () => true } }).createMachine({
  id: 'regions',
  type: 'parallel',
  states: {
    a: {
      initial: 'idle',
      states: { idle: { always: { target: 'busy', guard: and(['ready', not('allowed')]) } }, busy: {} },
      on: { reset: '.idle' },
    },
    b: {
      initial: 'idle',
      states: {
        idle: { on: { go: { target: 'busy', guard: { type: 'allowed', params: { level: 1 } } } } },
        busy: { always: { target: 'idle', guard: or([stateIn('#regions.a.busy'), () => false]) } },
      },
    },
  },
});

/** Keys that are not Mermaid ids, a Mermaid keyword, a delayed transition, a history state, a root-level transition. */
const awkward = createMachine({
  id: 'awkward machine',
  initial: 'state',
  on: { 'global.reset': '.state' },
  states: {
    state: { after: { 1000: 'a-b' } },
    'a-b': { on: { 'say "hi"': 'a_b' } },
    a_b: { initial: 'x', states: { x: {}, back: { type: 'history', history: 'deep' } } },
  },
});

/** Arrows across regions, a transition with two targets, a history target, a final state in a region. */
const crossing = createMachine({
  id: 'crossing',
  initial: 'p',
  states: {
    p: {
      type: 'parallel',
      states: {
        r1: { initial: 'a', states: { a: { on: { jump: '#crossing.p.r2.d' } }, b: {} } },
        r2: {
          initial: 'c',
          states: { c: {}, d: { on: { both: { target: ['#crossing.p.r1.b', '#crossing.p.r2.c'] } } }, h: { type: 'history' } },
        },
        r3: { initial: 'e', states: { e: { type: 'final' } } },
      },
      on: { out: 'q' },
    },
    q: { on: { restore: 'p.r2.h' } },
  },
});

describe('toMermaidStateDiagram', () => {
  it('draws nested states, guards, a final state, transitions declared on a parent and a re-entering self-transition; leaves out targetless ones', () => {
    expect(toMermaidStateDiagram(door)).toBe(
      lines(
        'stateDiagram-v2',
        '  [*] --> closed',
        '  closed --> opened : open',
        '  closed --> locked : lock',
        '  locked --> closed : unlock [hasKey]',
        '  opened --> closed : close',
        '  opened --> opened : slam (reenter)',
        '  opened --> closed : onDone',
        '  state "closed" as closed',
        '  state "locked" as locked',
        '  state "opened" as opened {',
        '    [*] --> opened_swinging',
        '    opened_swinging --> opened_still : stop',
        '    opened_still --> [*]',
        '    state "swinging" as opened_swinging',
        '    state "still" as opened_still',
        '  }',
      ),
    );
  });

  it('separates parallel regions with --, gives repeated keys distinct path ids, labels eventless transitions always [guard]', () => {
    expect(toMermaidStateDiagram(regions)).toBe(
      lines(
        'stateDiagram-v2',
        '  state "regions" as regions {',
        '    a --> a_idle : reset',
        '    state "a" as a {',
        '      [*] --> a_idle',
        '      a_idle --> a_busy : always [ready && !allowed]',
        '      state "idle" as a_idle',
        '      state "busy" as a_busy',
        '    }',
        '    --',
        '    state "b" as b {',
        '      [*] --> b_idle',
        '      b_idle --> b_busy : go [allowed]',
        '      b_busy --> b_idle : always [in(#regions.a.busy) || inline]',
        '      state "idle" as b_idle',
        '      state "busy" as b_busy',
        '    }',
        '  }',
      ),
    );
  });

  it('makes valid unique ids from any key, boxes a root with its own transitions, names delays and history states, takes a direction', () => {
    expect(toMermaidStateDiagram(awkward, { direction: 'LR' })).toBe(
      lines(
        'stateDiagram-v2',
        '  direction LR',
        '  awkward_machine --> state_ : global.reset',
        '  state "awkward machine" as awkward_machine {',
        '    [*] --> state_',
        '    state_ --> a_b : after 1000ms',
        '    a_b --> a_b_2 : say "hi"',
        '    state "state" as state_',
        '    state "a-b" as a_b',
        '    state "a_b" as a_b_2 {',
        '      [*] --> a_b_x',
        '      state "x" as a_b_x',
        '      state "back (H*)" as a_b_back',
        '    }',
        '  }',
      ),
    );
  });

  it('writes the arrows of a box before its states, so an arrow across regions leaves both ends in their own region', () => {
    // Mermaid puts a state in the box where it is last mentioned.
    expect(toMermaidStateDiagram(crossing)).toBe(
      lines(
        'stateDiagram-v2',
        '  [*] --> p',
        '  p --> q : out',
        '  q --> p_r2_h : restore',
        '  state "p" as p {',
        '    p_r1_a --> p_r2_d : jump',
        '    p_r2_d --> p_r1_b : both',
        '    state "r1" as p_r1 {',
        '      [*] --> p_r1_a',
        '      state "a" as p_r1_a',
        '      state "b" as p_r1_b',
        '    }',
        '    --',
        '    state "r2" as p_r2 {',
        '      [*] --> p_r2_c',
        '      p_r2_d --> p_r2_c : both',
        '      state "c" as p_r2_c',
        '      state "d" as p_r2_d',
        '      state "h (H)" as p_r2_h',
        '    }',
        '    --',
        '    state "r3" as p_r3 {',
        '      [*] --> p_r3_e',
        '      p_r3_e --> [*]',
        '      state "e" as p_r3_e',
        '    }',
        '  }',
        '  state "q" as q',
      ),
    );
  });
});

describe("the card machine's diagram", () => {
  const text = toMermaidStateDiagram(cardMachine);
  const declared = new Map([...text.matchAll(/^\s*state "([^"]*)" as (\w+)(?: \{)?$/gm)].map((m) => [m[2]!, m[1]!]));

  it('declares every state node of the machine once, labelled with its key', () => {
    const keys = getStateNodes(cardMachine)
      .filter((n) => n.path.length > 0)
      .map((n) => n.key);
    // A root with transitions of its own or regions gets a box of its own.
    if (declared.size === keys.length + 1) keys.push(cardMachine.root.key);
    expect(text.match(/^\s*state "/gm)!.length).toBe(declared.size);
    expect([...declared.values()].map((l) => l.replace(/ \(H\*?\)$/, '')).sort()).toEqual(keys.sort());
  });

  it('draws arrows only between declared states and names every event the machine takes', () => {
    const arrows = [...text.matchAll(/^\s*(\S+) --> (\S+)(?: : (.*))?$/gm)];
    expect(arrows.length).toBeGreaterThan(10);
    for (const [line, from, to] of arrows) {
      for (const end of [from!, to!]) expect(end === '[*]' || declared.has(end), line).toBe(true);
    }
    const labels = arrows.map((a) => a[3] ?? '').join('\n');
    const events = new Set(
      getStateNodes(cardMachine).flatMap((n) => [...n.transitions].filter(([, ts]) => ts.some((t) => t.target?.length)).map(([e]) => e)),
    );
    // Delays and done events are written as `after …` and `onDone`.
    for (const event of [...events].filter((e) => !e.startsWith('xstate.'))) expect(labels).toContain(event);
  });

  it('is well formed and the same bytes every time', () => {
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text.match(/\{$/gm)?.length).toBe(text.match(/^\s*\}$/gm)?.length);
    expect(toMermaidStateDiagram(cardMachine)).toBe(text);
  });
});
