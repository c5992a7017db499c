/** The issuer and service-provider servers (issue #4): the one door for scenarios and tests. */
export { createIssuerApp, type IssuerApp } from './issuer/app.ts';
export type { IssuerDeps } from './issuer/issuer-deps.ts';
export { loadOrCreateIssuerKeys, createIssuerKeys, dapSigningKey, type IssuerKeys } from './issuer/ca/issuer-keys.ts';
export { SqliteIssuerStore } from './issuer/store/sqlite-issuer-store.ts';
export { PgIssuerStore, type PgIssuerStoreOptions } from './issuer/store/pg-issuer-store.ts';
export { StoreError, type IssuerStore, type CardRecord, type ApplicationRecord, type InstallOrderRecord, type OrderState, type OutboxRecord } from './issuer/store/issuer-store.ts';
export { registerCardholder, registerCard, registerProvider, registerApplication } from './issuer/routes/admin-routes.ts';
export { OutboxWorker, type OutboxWorkerOptions } from './issuer/outbox/outbox-worker.ts';
export { InstallDialogue, type InstallPlan, type InstallFailureCode } from './issuer/remote/install-dialogue.ts';
export { createProviderApp, registerService, type ProviderDeps } from './provider/app.ts';
export { SqliteProviderStore } from './provider/store/sqlite-provider-store.ts';
export { PgProviderStore } from './provider/store/pg-provider-store.ts';
export { ProviderStoreError, type ProviderStore, type MemberRecord, type ServiceRecord, type StartRecord } from './provider/store/provider-store.ts';
export { startServers, startIssuerInstance, startProviderInstance, openDataDir, type ServeOptions, type RunningServers, type RunningIssuer, type RunningProvider, type LocalSecrets } from './serve.ts';
export { ensureDemoData, type DemoCard, type DemoService, type DemoData } from './demo-data.ts';
export { listen, createLogger, HttpError, SIGNATURE_HEADER, signBody, REQUEST_AUTHORISATION_LABEL, type Listening, type HttpErrorCode, type Logger } from './http/index.ts';
export * from '../protocol/seram/index.ts';
export { newId, systemClock, type Clock } from './ids.ts';
