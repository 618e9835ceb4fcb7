/**
 * Reads a request body for a route that declares one: checks the media type before reading, caps
 * the size, and turns every parser failure into a catalogued error. Nothing half-parsed gets through.
 */
import express, { type Request, type Response } from 'express';
import { parse as parseYaml } from 'yaml';
import { YAML_MAX_DEPTH, yamlDepth } from '../allocate/yaml-schema';
import { ApiError } from './errors';
import type { MediaType } from './route';

type Middleware = (req: Request, res: Response, next: (err?: unknown) => void) => void;

/**
 * YAML costs milliseconds per KB to read (measured per PUT /v1/policy, CPU: 170-370 ms for a 64 KB
 * flow list, 210-860 ms for 64 KB of small maps; 1 MiB bodies stalled the event loop for seconds).
 * The shipped policies are 0.7-1.1 KB, so 64 KiB leaves 60x room and bounds the stall.
 */
export const YAML_LIMIT_BYTES = 64 * 1024;

export class BodyReader {
  private readonly json: Middleware;
  private readonly text: Middleware;

  constructor(limitBytes: number) {
    // Media types are checked here first, so the parsers may accept whatever reaches them.
    this.json = express.json({ limit: limitBytes, strict: true, type: () => true });
    this.text = express.text({ limit: Math.min(limitBytes, YAML_LIMIT_BYTES), type: () => true });
  }

  async read(
    req: Request,
    res: Response,
    accepted: readonly MediaType[],
  ): Promise<{ value: unknown; text?: string }> {
    const declared = req.headers['content-type'];
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody && !declared) throw new ApiError('BODY_MISSING');
    const kind = declared ? req.is([...accepted]) : false;
    if (!kind) {
      throw new ApiError(
        'BODY_UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${declared ? `"${declared}"` : '(none)'} is not accepted here; send ${accepted.join(' or ')}.`,
        { accepted },
      );
    }
    const yaml = kind === 'application/yaml';
    await run(yaml ? this.text : this.json, req, res, yaml);
    if (!yaml) {
      if (!hasBody) throw new ApiError('BODY_MISSING');
      return { value: req.body };
    }
    const raw = typeof req.body === 'string' ? req.body : '';
    if (!raw.trim()) throw new ApiError('BODY_MISSING');
    if (yamlDepth(raw) > YAML_MAX_DEPTH)
      throw new ApiError(
        'BODY_MALFORMED_YAML',
        `The request body is not accepted as YAML: nested deeper than ${YAML_MAX_DEPTH} levels.`,
        { maxDepth: YAML_MAX_DEPTH },
      );
    try {
      // uniqueKeys off: yaml's duplicate-key check is quadratic (a 900 KB map of 60000 keys took
      // 41 s); parsePolicy, which every policy body goes through, reports duplicates itself.
      return { value: parseYaml(raw, { maxAliasCount: 100, uniqueKeys: false }), text: raw };
    } catch (err) {
      throw new ApiError(
        'BODY_MALFORMED_YAML',
        `The request body is not valid YAML: ${(err as Error).message}`,
      );
    }
  }
}

function run(mw: Middleware, req: Request, res: Response, yaml: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    mw(req, res, (err) => (err ? reject(fromParser(err, yaml)) : resolve())),
  );
}

/** body-parser's error types (http-errors with a `type`) → the catalogue. */
function fromParser(err: unknown, yaml: boolean): ApiError {
  const e = err as { type?: string; message?: string; limit?: number; code?: unknown };
  // zlib's errors (Content-Encoding says gzip/deflate/br but the bytes aren't) carry no `type`,
  // only a zlib code such as Z_DATA_ERROR: the client sent a body that cannot be read, a 400.
  if (e.type === undefined && typeof e.code === 'string' && /^(Z_|ERR_)/.test(e.code)) {
    const encoding = yaml ? 'BODY_MALFORMED_YAML' : 'BODY_MALFORMED_JSON';
    return new ApiError(
      encoding,
      `The request body cannot be decoded as its Content-Encoding says: ${e.message}`,
    );
  }
  switch (e.type) {
    case 'entity.too.large':
      return new ApiError('BODY_TOO_LARGE', `The request body is larger than ${e.limit} bytes.`, {
        limitBytes: e.limit,
      });
    case 'entity.parse.failed':
      return new ApiError('BODY_MALFORMED_JSON', `The request body is not valid JSON: ${e.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('BODY_UNSUPPORTED_ENCODING', e.message);
    case 'request.size.invalid':
    case 'request.aborted':
      return new ApiError('BODY_MALFORMED_JSON', `The request body was cut short: ${e.message}`);
    default:
      return new ApiError('INTERNAL', `Could not read the request body: ${e.message ?? String(err)}`);
  }
}
