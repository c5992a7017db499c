import { acknowledgeStart } from './acknowledge-start.ts';
import { awaitMember } from './await-member.ts';
import { cardSigns } from './card-signs.ts';
import { chooseService } from './choose-service.ts';
import { collate } from './collate.ts';
import { confirmInstall } from './confirm-install.ts';
import type { FlowStep } from './flow.ts';
import { readCard } from './read-card.ts';
import { remoteManagement } from './remote-management.ts';
import { requestApplication } from './request-application.ts';
import { requestInstall } from './request-install.ts';
import { startService } from './start-service.ts';

export type { FlowContext, FlowState, FlowStep, ProvisionResult, StepProgress } from './flow.ts';

/** The seed's flow S1–S16, one named step after another. */
export const PROVISION_STEPS: readonly FlowStep[] = [
  readCard,
  collate,
  chooseService,
  requestApplication,
  cardSigns,
  requestInstall,
  remoteManagement,
  confirmInstall,
  awaitMember,
  startService,
  acknowledgeStart,
];
