/**
 * The attest routes of the local MAA instance over HTTP: `POST /attest/SgxEnclave` and
 * `POST /attest/OpenEnclave`, answering `{ "token": "…" }` or MAA's error body.
 */
import type { IncomingMessage } from 'node:http';
import {
  appraise,
  deriveEvidenceClaims,
  MaaError,
  readAttestRequest,
  type AttestOutcome,
  type CompiledInstancePolicy,
  type EvidenceType,
} from './attestation.js';
import type { NormalResponse } from './faults.js';

/**
 * The largest attest request body read, in bytes. A quote is at most 64 KiB (the parser's bound), about
 * 87 KiB as base64url; the rest leaves room for runtime data and a draft policy.
 */
export const MAX_ATTEST_BODY_BYTES = 256 * 1024;

// ASP.NET routing, which MAA runs on, matches paths without regard to case.
const ROUTES = new Map<string, EvidenceType>([
  ['/attest/sgxenclave', 'SgxEnclave'],
  ['/attest/openenclave', 'OpenEnclave'],
]);

/** The evidence type an attest path names, or undefined for any other path. */
export function attestRouteOf(path: string): EvidenceType | undefined {
  return ROUTES.get(path.toLowerCase());
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limitBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, length)));
    req.on('error', reject);
    // A client that goes away mid-body: nothing will answer, but the promise must not hang.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the request'));
    });
  });
}

const answer = (error: MaaError): NormalResponse => ({ status: error.status, body: JSON.stringify(error.body()) });

/**
 * Handles one attest request. `mint` turns the outcome into a token (signed, or unsigned for a draft
 * policy). Every refusal is in MAA's error shape; an unexpected failure (a throwing policy function)
 * is a 500 that names nothing of it.
 */
export async function handleAttest(
  req: IncomingMessage,
  type: EvidenceType,
  query: string,
  policy: CompiledInstancePolicy,
  mint: (outcome: AttestOutcome) => string,
): Promise<NormalResponse> {
  try {
    if (req.method !== 'POST') throw new MaaError(404, 'NotFound', 'The requested resource was not found.');
    const versions = new URLSearchParams(query).getAll('api-version');
    if (versions.length > 1) throw new MaaError(400, 'AmbiguousApiVersion', 'More than one api-version was given.');
    const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') throw new MaaError(415, 'UnsupportedMediaType', 'The request body must be application/json.');
    let text: string;
    try {
      text = (await readBody(req, MAX_ATTEST_BODY_BYTES)).toString('utf8');
    } catch (error) {
      if (error instanceof BodyTooLarge)
        throw new MaaError(413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_ATTEST_BODY_BYTES} bytes.`);
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new MaaError(400, 'InvalidParameter', 'The request body is not JSON.');
    }
    const request = readAttestRequest(type, versions[0], body);
    const outcome = await appraise(request, deriveEvidenceClaims(request), policy);
    return { status: 200, body: JSON.stringify({ token: mint(outcome) }) };
  } catch (error) {
    if (error instanceof MaaError) return answer(error);
    return answer(new MaaError(500, 'InternalServerError', 'The attestation failed with an unexpected error.'));
  }
}
