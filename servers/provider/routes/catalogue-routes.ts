import { SERVICE_LIST, SERVICE_VIEW, type ServiceList, type ServiceView } from '../../../protocol/api/index.ts';
import type { ApiRouter } from '../../http/index.ts';
import type { ProviderDeps } from '../provider-deps.ts';
import { serviceOf, serviceView } from './services.ts';

/** S4–S5: the catalogue, each service naming the package and applet it needs. */
export function catalogueRoutes(api: ApiRouter, deps: ProviderDeps): void {
  api.route(
    { method: 'get', path: '/services', operationId: 'listServices', summary: 'S4–S5: the services catalogue', tags: ['services'], responses: { '200': { description: 'services', schema: SERVICE_LIST } } },
    async (_req, res) => {
      const answer: ServiceList = { services: (await deps.store.listServices()).map(serviceView) };
      res.json(answer);
    },
  );

  api.route(
    { method: 'get', path: '/services/:serviceId', operationId: 'getService', summary: 'One service and the application it needs', tags: ['services'], responses: { '200': { description: 'the service', schema: SERVICE_VIEW } } },
    async (req, res) => {
      const answer: ServiceView = serviceView(await serviceOf(deps, String(req.params.serviceId)));
      res.json(answer);
    },
  );
}
