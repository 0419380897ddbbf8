/**
 * One way to hide secrets in a URL before it is logged or put in an error: the password of a
 * `scheme://user:password@host` URL, secret query parameters (`api_key`, `key`, `token`, `secret`,
 * `password`), labeller invite links (`/l/<token>`) and MTurk worker ids. Works on absolute URLs and
 * on request paths alike.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@')
    .replace(/(^|\/\/[^/]*)\/l\/[^/?#]+/, '$1/l/[token]')
    .replace(/([?&](?:api_key|key|token|secret|password)=)[^&#]*/gi, '$1[token]')
    .replace(/([?&]workerId=)[^&#]*/g, '$1[worker]');
}
