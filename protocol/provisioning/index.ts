export {
  encodeApplicationRequest,
  decodeApplicationRequest,
  verifyApplicationRequestSignature,
  ApplicationRequestError,
  type ApplicationRequest,
} from './application-request.ts';
export { encodeStartRequest, decodeStartRequest, verifyStartRequestSignature, StartRequestError, type StartRequest } from './start-request.ts';
