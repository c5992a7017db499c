import { SERVICE_LIST, type ServiceList } from '../../protocol/api/index.ts';
import { callJson, refusal } from '../http-client.ts';
import { TerminalError } from '../terminal-error.ts';
import type { FlowStep } from './flow.ts';

/** S4–S5: the provider's catalogue, and the service asked for in it. */
export const chooseService: FlowStep = {
  name: 'choose-service',
  async run(flow) {
    const catalogue = await callJson<ServiceList>('S4', flow.provider('/services'), { idempotent: true, answer: SERVICE_LIST }, flow.http);
    if (!catalogue.ok) throw refusal('S4', 'service catalogue', catalogue);
    const services = catalogue.body.services;
    flow.done('S4', `${services.length} service(s) offered`);
    const service = services.find((s) => s.serviceId === flow.serviceId);
    if (!service) {
      const ids = services.map((s) => s.serviceId).join(', ');
      throw new TerminalError('S5', 'refused', `the provider offers no service '${flow.serviceId}' (it offers: ${ids || 'none'})`, { serverCode: 'unknown_service' });
    }
    flow.state.service = service;
    flow.done('S5', `${service.serviceId}: package ${service.packageAid}, applet ${service.appletAid}`);
  },
};
