/** A scenario run's timeline: one clock for card, steps, terminal progress, HTTP, outbox, faults and restarts. */
export * from './timeline-entry.ts';
export { createTimeline, type Timeline, type StepLike } from './timeline.ts';
export { createSecureMessagingObserver, type HeldKeys, type SecureMessagingObserver } from './secure-messaging-observer.ts';
export { installHttpTap, type HttpTap } from './http-tap.ts';
export { redactBody, REDACTED, REDACTED_KEYS } from './redact.ts';
export { toTimelineJsonLines, parseTimelineJsonLines, toTimelineText, timelineFiles, writeTimelineFiles } from './timeline-files.ts';
