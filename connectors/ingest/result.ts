/** One rejected row: its index in the call (or CSV line) and a message naming the field. */
export interface ImportRejection {
  index: number;
  message: string;
}

/** ImportResult of graphql-contract.md. */
export interface ImportResult {
  accepted: number;
  duplicates: number;
  held: number;
  rejected: ImportRejection[];
}

/** What happened to one valid row: stored (new or changed), identical to what is stored, or waiting. */
export type Outcome = 'accepted' | 'duplicate' | 'held';

/** An empty result. */
export const emptyResult = (): ImportResult => ({ accepted: 0, duplicates: 0, held: 0, rejected: [] });

/** Adds one row's outcome to `result`. */
export function count(result: ImportResult, outcome: Outcome): void {
  if (outcome === 'accepted') result.accepted++;
  else if (outcome === 'duplicate') result.duplicates++;
  else result.held++;
}
