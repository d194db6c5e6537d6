// The few error kinds the API maps to responses; `code` is stable for clients.
export interface FieldProblem {
  /** JSON pointer or dotted path to the field, e.g. `/3/finished_at` or `teams[2].parent`. */
  path: string;
  message: string;
  /** Line (files) or index (batches), 1-based for lines, 0-based for indexes. */
  line?: number;
  index?: number;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends AppError {
  constructor(message: string, problems: FieldProblem[] = []) {
    super('invalid_input', 400, message, problems);
  }
}

export class NotFound extends AppError {
  constructor(message: string) {
    super('not_found', 404, message);
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'missing or invalid bearer token') {
    super('unauthorized', 401, message);
  }
}

/** Configuration that cannot start the service; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
