import { CARD_LIFE_CYCLE } from '../../protocol/gp/data/index.ts';
import type { Channel } from './conform-model.ts';
import type { HostStep } from './host-steps.ts';

/**
 * One feature walked on its own, with the host steps it may take: the product of four channels'
 * regions is far too large to enumerate, so each feature restricts the steps (and the channels) it uses.
 */
export interface Feature {
  name: string;
  /** The card's persisted life cycle when the path starts (a fresh card personalised so). */
  startLifeCycle: number;
  /** Steps taken before the walk starts (power-up, a channel opened, a package loaded…), part of every path. */
  prefix: HostStep[];
  /** The steps the walk may take (the table decides in which states each applies). */
  steps: HostStep[];
  /** Also enumerate the simple paths (getSimplePaths): only for small graphs. */
  simplePaths?: boolean;
}

const SECURED = CARD_LIFE_CYCLE.SECURED;
const on: HostStep = { type: 'power.on' };
const opened = (n: Channel): HostStep[] => (n === 0 ? [] : [{ type: 'channel.open', channel: n, from: 0 }]);
const session = (n: Channel): HostStep[] => [{ type: 'scp.initialize', channel: n }, { type: 'scp.authenticate', channel: n }];
/** Power-up, a session on the basic channel, the loyalty package loaded (three blocks) and its applet installed. */
const withApplication: HostStep[] = [
  on,
  ...session(0),
  { type: 'content.installForLoad', channel: 0, file: 'lib' },
  { type: 'content.load', channel: 0 },
  { type: 'content.load', channel: 0 },
  { type: 'content.load', channel: 0 },
  { type: 'content.install', channel: 0, faulty: false },
];

function secureChannel(n: Channel): Feature {
  const power: HostStep[] = n === 0 ? [{ type: 'power.reset' }, { type: 'power.off' }, on] : [];
  return {
    name: `secure channel on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [on, ...opened(n)],
    steps: [{ type: 'select.isd', channel: n }, ...session(n), { type: 'scp.interrupt', channel: n }, ...power],
    simplePaths: n === 0,
  };
}

function content(n: Channel): Feature {
  return {
    name: `content management on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [on, ...opened(n)],
    steps: [
      ...session(n),
      { type: 'select.isd', channel: n },
      { type: 'content.installForLoad', channel: n, file: 'lib' },
      { type: 'content.installForLoad', channel: n, file: 'app' },
      { type: 'content.load', channel: n },
      { type: 'content.install', channel: n, faulty: false },
      { type: 'content.install', channel: n, faulty: true },
      { type: 'content.delete', channel: n, target: 'loyalty' },
      { type: 'content.delete', channel: n, target: 'app' },
      { type: 'content.delete', channel: n, target: 'lib' },
    ],
  };
}

function selection(n: Channel): Feature {
  return {
    name: `selection on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [...withApplication, ...opened(n)],
    steps: [
      ...session(n),
      { type: 'select.isd', channel: n },
      { type: 'select.app', channel: n },
      { type: 'content.installForLoad', channel: n, file: 'app' },
      { type: 'status.page', channel: n },
    ],
  };
}

function channels(n: Channel): Feature {
  const m: Channel = n === 1 ? 2 : 1;
  return {
    name: `MANAGE CHANNEL ${n}`,
    startLifeCycle: SECURED,
    prefix: withApplication,
    steps: [
      { type: 'channel.open', channel: n, from: 0 },
      { type: 'channel.close', channel: n },
      { type: 'channel.open', channel: m, from: 0 },
      { type: 'select.app', channel: m },
      { type: 'channel.open', channel: n, from: m },
      { type: 'select.isd', channel: n },
    ],
  };
}

function chaining(n: Channel): Feature {
  return {
    name: `command chaining on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [on, ...opened(n)],
    steps: [{ type: 'chain.part', channel: n }, { type: 'chain.last', channel: n }, { type: 'chain.break', channel: n }],
  };
}

function paging(n: Channel): Feature {
  return {
    name: `GET STATUS paging on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [on, ...opened(n), ...session(n)],
    steps: [{ type: 'status.page', channel: n }, { type: 'status.next', channel: n }, { type: 'status.all', channel: n }, { type: 'select.isd', channel: n }, ...session(n)],
  };
}

function response(n: Channel): Feature {
  return {
    name: `GET RESPONSE on channel ${n}`,
    startLifeCycle: SECURED,
    prefix: [on, ...opened(n)],
    steps: [
      { type: 'response.leave', channel: n },
      { type: 'response.get', channel: n, le: 0x10 },
      { type: 'response.get', channel: n, le: 0x00 },
      { type: 'response.drop', channel: n },
    ],
  };
}

const lifeCycle: Feature = {
  name: 'card life cycle',
  startLifeCycle: CARD_LIFE_CYCLE.OP_READY,
  prefix: [on],
  steps: [
    ...session(0),
    ...[CARD_LIFE_CYCLE.INITIALIZED, CARD_LIFE_CYCLE.SECURED, CARD_LIFE_CYCLE.CARD_LOCKED, CARD_LIFE_CYCLE.TERMINATED].map((to): HostStep => ({ type: 'lifeCycle.set', to })),
    { type: 'power.reset' },
  ],
};

/** Every feature the suite walks: per channel, and the card-wide life cycle. */
export function conformFeatures(): Feature[] {
  const all: Feature[] = [lifeCycle];
  for (const n of [0, 1, 2, 3] as const) {
    all.push(secureChannel(n), content(n), selection(n), chaining(n), paging(n), response(n));
    if (n !== 0) all.push(channels(n));
  }
  return all;
}
