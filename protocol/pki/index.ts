export { PkiError, type PkiErrorCode } from './pki-error.ts';
export { encodePublicKeySpki, decodePublicKeySpki, keyIdentifier } from './spki.ts';
export { createIssuerCa, randomSerialNumber, DEFAULT_CA_NOT_BEFORE, DEFAULT_CA_NOT_AFTER, type IssuerCa } from './issuer-ca.ts';
export { issueCardCertificate, verifyCardCertificate, type CardCertificateRequest, type VerifiedCardCertificate } from './card-certificate.ts';
