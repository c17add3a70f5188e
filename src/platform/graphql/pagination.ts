import { BadUserInputError } from '../errors';

export const DEFAULT_PAGE_SIZE = 20;

/** Opaque cursor: base64url of the sort key values of the row it points at. */
export function encodeCursor(values: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with `arity` values; BAD_USER_INPUT for anything else. */
export function decodeCursor(cursor: string, arity: number): Array<string | number> {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === arity && values.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return values as Array<string | number>;
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('The "after" cursor is not valid for this list', { field: 'after' });
}

/** `first` checked against the configured maximum page size. */
export function pageSize(first: number | null | undefined, max: number): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (!Number.isInteger(first) || first < 0) throw new BadUserInputError('"first" must be a non-negative integer', { field: 'first' });
  if (first > max) throw new BadUserInputError(`"first" may be at most ${max}`, { field: 'first', max });
  return first;
}
