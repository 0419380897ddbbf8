/**
 * Candidate identity (DESIGN §1.2): id = sha1(source photo id + source name), as the original
 * authors did. The same photo found under a second class gets its own row whose id also hashes the
 * class id in, linked to the first by `exact_duplicate_of`; at most one of them may enter a dataset.
 */
import { sha1Hex } from '../core/hash.ts';

/** The id of the first occurrence of a source photo. */
export function candidateId(sourceId: string, source: string): string {
  return sha1Hex(sourceId + source);
}

/** The id of the same source photo collected for another class (`classId`: wnid or class name). */
export function linkedCandidateId(sourceId: string, source: string, classId: string): string {
  return sha1Hex(`${sourceId}${source}#${classId}`);
}
