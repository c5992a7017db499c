import { REGISTER_SERVICE_BODY, SERVICE_VIEW, type RegisterServiceBody, type ServiceView } from '../../../protocol/api/index.ts';
import { conflict, type ApiRouter } from '../../http/index.ts';
import type { ProviderDeps } from '../provider-deps.ts';
import { ProviderStoreError, type ServiceRecord } from '../store/provider-store.ts';
import { serviceView } from './services.ts';

/** Adds a service to the catalogue (admin API and demo data); 409 `service_already_registered`. */
export async function registerService(deps: ProviderDeps, body: RegisterServiceBody): Promise<ServiceView> {
  const record: ServiceRecord = {
    id: body.id,
    name: body.name,
    description: body.description ?? '',
    packageAid: body.packageAid.toUpperCase(),
    appletAid: body.appletAid.toUpperCase(),
    instanceAid: (body.instanceAid ?? body.appletAid).toUpperCase(),
    startCommands: (body.startCommands ?? []).map((c) => c.toUpperCase()),
    openingCredit: body.openingCredit ?? null,
    createdAt: deps.clock(),
  };
  try {
    await deps.store.createService(record);
  } catch (err) {
    if (err instanceof ProviderStoreError && err.code === 'DUPLICATE') throw conflict('service_already_registered', `service ${body.id} exists`, '/id');
    throw err;
  }
  return serviceView(record);
}

/** The provider's administration (bearer token): services. */
export function adminRoutes(api: ApiRouter, deps: ProviderDeps): void {
  api.route(
    {
      method: 'post',
      path: '/admin/services',
      operationId: 'registerService',
      summary: 'Add a service to the catalogue (start commands as they are; an opening credit sent as CREDIT [once])',
      tags: ['admin'],
      security: 'adminToken',
      body: REGISTER_SERVICE_BODY,
      responses: { '201': { description: 'registered', schema: SERVICE_VIEW } },
    },
    async (req, res) => {
      res.status(201).json(await registerService(deps, req.body as RegisterServiceBody));
    },
  );
}
