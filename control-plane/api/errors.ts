/**
 * Every error the API can return, in one catalogue (fastify style): a stable code, its HTTP status
 * and a default message. Responses are `{ "error": { "code", "message", "details"? } }`. Codes never
 * change meaning; new ones are added at the end of their group.
 */
export const ERRORS = {
  AUTH_TOKEN_MISSING: { status: 401, message: 'Send the API token as "Authorization: Bearer <token>".' },
  AUTH_SCHEME_UNSUPPORTED: { status: 401, message: 'Only the Bearer authorization scheme is supported.' },
  AUTH_TOKEN_INVALID: { status: 401, message: 'The API token is not valid.' },

  BODY_MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  BODY_MALFORMED_YAML: { status: 400, message: 'The request body is not valid YAML.' },
  BODY_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type for this operation.' },
  BODY_UNSUPPORTED_ENCODING: { status: 415, message: 'Unsupported charset or Content-Encoding.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the configured limit.' },
  BODY_MISSING: { status: 400, message: 'This operation needs a request body.' },

  VALIDATION_BODY: { status: 400, message: 'The request body does not match the schema.' },
  VALIDATION_QUERY: { status: 400, message: 'A query parameter does not match the schema.' },
  VALIDATION_PATH: { status: 400, message: 'A path parameter does not match the schema.' },
  VALIDATION_HEADER: { status: 400, message: 'A request header does not match the schema.' },
  TIME_RANGE_INVALID: { status: 400, message: 'The time range is empty or has too many steps.' },

  POLICY_INVALID: { status: 422, message: 'The policy is not valid.' },
  POLICY_VERSION_CONFLICT: {
    status: 412,
    message: 'The policy changed since the version given in If-Match.',
  },
  POLICY_PRECONDITION_REQUIRED: {
    status: 428,
    message: 'Changing an existing policy needs If-Match with the current version (its ETag).',
  },
  EVENT_WINDOW_INVALID: { status: 422, message: 'An event must end after it starts.' },
  TIER_UNKNOWN: { status: 422, message: 'The tier is not defined in the current policy.' },
  EVENT_ALREADY_EXISTS: {
    status: 409,
    message: 'An event with this id exists; PUT /v1/events/{id} replaces it.',
  },
  LOAD_INSTANCE_MISMATCH: { status: 422, message: 'A load sample names another instance than the path.' },
  CYCLE_RUNNING: {
    status: 409,
    message: 'A cycle is running; cycles never overlap. Try again when it ends (GET /v1/cycle).',
  },

  ROUTE_NOT_FOUND: { status: 404, message: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This route does not support that method.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.' },
  POLICY_NOT_FOUND: { status: 404, message: 'No policy (or no such policy version) is stored.' },
  TIER_NOT_FOUND: { status: 404, message: 'The current policy has no such tier.' },
  EVENT_NOT_FOUND: { status: 404, message: 'No such event.' },
  INSTANCE_NOT_FOUND: { status: 404, message: 'No such instance.' },
  FORECAST_NOT_FOUND: { status: 404, message: 'No forecast is stored for this user and resource.' },
  PLAN_NOT_FOUND: { status: 404, message: 'No plan has been computed yet.' },
  RESERVATION_NOT_FOUND: { status: 404, message: 'The current plan holds no reservation for this user.' },

  DEPENDENCY_UNAVAILABLE: { status: 503, message: 'A dependency of the control plane is unavailable.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'ApiError';
    this.status = ERRORS[code].status;
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined && { details: this.details }),
      },
    };
  }
}

export function apiError(code: ErrorCode, message?: string, details?: unknown): ApiError {
  return new ApiError(code, message, details);
}
