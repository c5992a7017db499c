export {
  encodeApplicationRequest,
  decodeApplicationRequest,
  verifyApplicationRequestSignature,
  ApplicationRequestError,
  type ApplicationRequest,
} from './application-request.ts';
