// verify.mjs -- verify a mamori signed report with the independent `jose`
// library (panva/jose), so our JWS is proven interoperable, not just
// self-consistent.  usage: node verify.mjs PUBLIC_KEY.pem REPORT.jws
// Prints the payload's seq and exits 0 when the signature verifies, the
// header is {"alg":"EdDSA","kid":<RFC 7638 thumbprint>} and the payload is a
// schema-2 report (compact checks naming the catalogue); exits 1 otherwise.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import * as jose from 'jose';

const [pemPath, jwsPath] = process.argv.slice(2);
const jwk = createPublicKey(readFileSync(pemPath)).export({ format: 'jwk' });
const key = await jose.importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
const compact = readFileSync(jwsPath, 'utf8').trim();
const { payload, protectedHeader } = await jose.compactVerify(compact, key, {
  algorithms: ['EdDSA'],
});
const thumbprint = await jose.calculateJwkThumbprint(jwk, 'sha256');
if (protectedHeader.kid !== thumbprint) {
  console.error(`kid ${protectedHeader.kid} != thumbprint ${thumbprint}`);
  process.exit(1);
}
const report = JSON.parse(new TextDecoder().decode(payload));
if (report.schema !== 2 || !Number.isInteger(report.catalogue) || !Number.isInteger(report.seq) ||
    !Array.isArray(report.checks)) {
  console.error('payload is not a schema-2 report');
  process.exit(1);
}
console.log(`verified seq=${report.seq} kid=${protectedHeader.kid}`);
