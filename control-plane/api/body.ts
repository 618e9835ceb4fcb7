/**
 * Reads a request body for a route that declares one: checks the media type before reading, caps
 * the size, and turns every parser failure into a catalogued error. Nothing half-parsed gets through.
 */
import express, { type Request, type Response } from 'express';
import { parse as parseYaml } from 'yaml';
import { ApiError } from './errors';
import type { MediaType } from './route';

type Middleware = (req: Request, res: Response, next: (err?: unknown) => void) => void;

export class BodyReader {
  private readonly json: Middleware;
  private readonly text: Middleware;

  constructor(limitBytes: number) {
    // Media types are checked here first, so the parsers may accept whatever reaches them.
    this.json = express.json({ limit: limitBytes, strict: true, type: () => true });
    this.text = express.text({ limit: limitBytes, type: () => true });
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
    await run(yaml ? this.text : this.json, req, res);
    if (!yaml) {
      if (!hasBody) throw new ApiError('BODY_MISSING');
      return { value: req.body };
    }
    const raw = typeof req.body === 'string' ? req.body : '';
    if (!raw.trim()) throw new ApiError('BODY_MISSING');
    try {
      return { value: parseYaml(raw, { maxAliasCount: 100 }), text: raw };
    } catch (err) {
      throw new ApiError(
        'BODY_MALFORMED_YAML',
        `The request body is not valid YAML: ${(err as Error).message}`,
      );
    }
  }
}

function run(mw: Middleware, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => mw(req, res, (err) => (err ? reject(fromParser(err)) : resolve())));
}

/** body-parser's error types (http-errors with a `type`) → the catalogue. */
function fromParser(err: unknown): ApiError {
  const e = err as { type?: string; message?: string; limit?: number };
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
