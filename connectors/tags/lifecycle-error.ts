import type { DslError } from '../../dsl/errors.js';

/** Why a lifecycle operation (define, publish, deprecate, upload) was refused. */
export type LifecycleReason =
  /** The source does not parse or check; `errors` holds the positioned DSL errors. */
  | 'DSL_ERROR'
  /** No tag or audience of that name. */
  | 'NOT_FOUND'
  /** The request contradicts the current state (dependants, unpublished dependencies, bad name). */
  | 'INVALID';

/** A refused lifecycle operation: the message is written for the data PM who asked. */
export class LifecycleError extends Error {
  constructor(readonly reason: LifecycleReason, message: string, readonly errors: DslError[] = []) {
    super(message);
    this.name = 'LifecycleError';
  }
}
