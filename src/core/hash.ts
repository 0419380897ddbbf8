import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex SHA-1 of a string or bytes (candidate ids: sha1(source photo id + source name)). */
export function sha1Hex(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Hex SHA-256 of a string or bytes (content hashes, checksums). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams a file through a hash; `algorithm` is any name node:crypto accepts (sha256, md5). */
export async function hashFile(path: string, algorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
