import type { CardProfileInput } from './card-profile.ts';

/**
 * The card a user gets without a profile file: a GP 2.3.1 card in SECURED state with one AES-128
 * SCP03 keyset (KVN 30, the GP test key 404142…4F for ENC, MAC and DEK), i = 70, 64 KiB of persistent
 * memory and the ISD at A000000151000000. CIN and the CPLC IC serial number are not fixed here:
 * they are drawn from the card's random source at personalisation, so each seed is another card.
 */
export const DEFAULT_PROFILE: Required<Omit<CardProfileInput, '$schema' | 'cin' | 'cplc' | 'contentSecurityLevel' | 'cardKey' | 'receipts' | 'dap'>> & Pick<CardProfileInput, 'cplc'> = {
  name: 'cardlab default GP 2.3.1 card',
  // 3B 8C 80 01: T=1 offered, 12 historical bytes ("cardlab GP23"), then TCK.
  atr: '3B8C8001636172646C6162204750323340',
  gpVersion: '2.3.1',
  isdAid: 'A000000151000000',
  isdPrivileges: '9EFE80',
  lifeCycle: 'SECURED',
  iin: '42434C',
  cplc: {
    icFabricator: 'CA1B',
    icType: '0001',
    osIdentifier: 'CA1B',
    osReleaseDate: '6329',
    osReleaseLevel: '0100',
    icFabricationDate: '6329',
    icBatchIdentifier: '0001',
    icModuleFabricator: 'CA1B',
    icModulePackagingDate: '6329',
    iccManufacturer: 'CA1B',
    icEmbeddingDate: '6329',
    icPrePersonalizer: 'CA1B',
    icPrePersoEquipmentDate: '6329',
    icPrePersoEquipmentId: '00000001',
    icPersonalizer: 'CA1B',
    icPersonalizationDate: '6329',
    icPersonalizationEquipmentId: '00000001',
  },
  keys: [{ kvn: '30', enc: '404142434445464748494A4B4C4D4E4F', mac: '404142434445464748494A4B4C4D4E4F', dek: '404142434445464748494A4B4C4D4E4F' }],
  scp03: { i: '70', kdd: '00000000000000000000' },
  memory: { persistent: 65536, transient: 4096 },
  maxCommandData: 255,
  extendedLength: false,
  preloaded: [
    { aid: 'A0000000620001', version: '1.0' },
    { aid: 'A0000000620101', version: '1.8' },
    { aid: 'A0000000620102', version: '1.7' },
    { aid: 'A0000000620201', version: '1.8' },
    { aid: 'A0000001515350', version: '1.0', modules: ['A000000151535041'] },
  ],
};
