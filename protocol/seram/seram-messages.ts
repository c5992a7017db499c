/**
 * GP SERAM 2.0.0 messages (gpseram.yaml, components/schemas) as TypeScript types: what the Local
 * Agent (terminal) and the Remote Agent (issuer) exchange over `/handshake` and `/remoteManagement`.
 * APDUs are upper-case hex strings.
 */

export type SeType = 'eSE' | 'iSE' | 'uicc' | 'euicc' | 'ieuicc' | 'undefined';

export interface SecureElement {
  seType: SeType;
  seId: string;
  seExtraInfo?: string;
}

/** Local Agent → Remote Agent, first message of a session (ramHandshakeCommand). */
export interface RamHandshakeCommand {
  secureElements: SecureElement[];
  supportedTransportProtocols?: Array<'HTTPS'>;
  supportedDataFormats?: Array<'application/json'>;
  supportedVersions?: string[];
}

/** Remote Agent → Local Agent (ramHandshakeResponse; `chosenDataFormat`, see the erratum in NOTES). */
export interface RamHandshakeResponse {
  chosenTransportProtocol: 'HTTPS';
  chosenDataFormat: 'application/json';
  chosenVersion: string;
}

export type LocalAgentStatusEnum = 'PROCESSED' | 'POLLING' | 'UNAVAILABLE_SE' | 'UNKNOWN_FAILURE' | 'UNGRANTED_ACCESS';

export interface SeRamResponse {
  ramResponseType: 'seRamResponse';
  listOfRAPDU: string[];
}

/** Local Agent → Remote Agent: status and the responses to the previous order (remoteManagementReport). */
export interface RemoteManagementReport {
  localAgentStatus: { localAgentStatusEnum: LocalAgentStatusEnum; executedSeRamCommands?: number; errorMsg?: string };
  ramResponses?: SeRamResponse[];
}

export type RamCommand =
  | { ramCommandType: 'startCommand' }
  | { ramCommandType: 'seRamCommand'; listOfCAPDU: string[] }
  | { ramCommandType: 'notificationCommand'; deviceAppNotification: string }
  | { ramCommandType: 'stopCommand' };

/** Remote Agent → Local Agent (remoteManagementOrder). */
export interface RemoteManagementOrder {
  delay?: number;
  chosenSecureElement?: SecureElement;
  ramCommands?: RamCommand[];
}

/** The SERAM version this Remote Agent speaks. */
export const SERAM_VERSION = '2.0.0';
