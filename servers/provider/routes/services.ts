import type { ServiceView } from '../../../protocol/api/index.ts';
import { notFound } from '../../http/index.ts';
import type { ProviderDeps } from '../provider-deps.ts';
import type { ServiceRecord } from '../store/provider-store.ts';

/** A service as the catalogue shows it. */
export function serviceView(s: ServiceRecord): ServiceView {
  return { serviceId: s.id, name: s.name, description: s.description, packageAid: s.packageAid, appletAid: s.appletAid, instanceAid: s.instanceAid };
}

/** The service named in the path, or 404 `unknown_service`. */
export async function serviceOf(deps: ProviderDeps, id: string): Promise<ServiceRecord> {
  const s = await deps.store.getService(id);
  if (!s) throw notFound('unknown_service', `no service ${id}`);
  return s;
}
