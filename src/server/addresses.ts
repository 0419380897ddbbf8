/**
 * Addresses given to the server — the address to bind, the public base URL, the origins MTurk may
 * submit from — checked once where they come in, so a typo is a usage error naming the option,
 * not a crash deep inside Node's networking.
 */
import { isIP } from 'node:net';
import { usageError } from '../core/index.ts';

/** An address to bind: an IPv4/IPv6 address or a host name; `999.1.1.1` and the like are refused. */
export function checkHost(host: string): string {
  const dotted = /^[\d.]+$/.test(host);
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
  if (isIP(host) === 0 && (dotted || !hostname)) {
    throw usageError('--host is not an address this machine can listen on', {
      field: '--host',
      expected: 'an IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1) or a host name',
      received: JSON.stringify(host),
    });
  }
  return host;
}

/** A base URL: http(s)://host[:port][/path], without a trailing slash. */
export function checkPublicUrl(url: string, field = '--public-url'): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    /* refused below */
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || !parsed.hostname || parsed.search || parsed.hash) {
    throw usageError(`${field} must be an http(s) URL`, {
      field,
      expected: 'e.g. https://label.example.org or https://example.org/retest',
      received: JSON.stringify(url),
    });
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** An origin `turkSubmitTo` may name: https://host[:port] (http only for localhost, in tests). */
export function checkOrigin(origin: string, field = '--mturk-origin'): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(origin);
  } catch {
    /* refused below */
  }
  const local = parsed !== null && parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!parsed || (parsed.protocol !== 'https:' && !local) || (parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
    throw usageError(`${field} must be an https origin`, {
      field,
      expected: 'e.g. https://workersandbox.mturk.com (scheme and host, no path)',
      received: JSON.stringify(origin),
    });
  }
  return parsed.origin;
}
