import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/core/redact.ts';

describe('redactUrl', () => {
  it('hides a URL password, and only the password', () => {
    expect(redactUrl('postgres://u:pw@h:5/db?schema=s')).toBe('postgres://u:***@h:5/db?schema=s');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('hides secret query parameters, invite links and worker ids', () => {
    expect(redactUrl('https://api.flickr.com/services/rest/?method=flickr.photos.search&api_key=abc123&text=cat')).toBe(
      'https://api.flickr.com/services/rest/?method=flickr.photos.search&api_key=[token]&text=cat',
    );
    expect(redactUrl('/l/abcDEF123_-xyz')).toBe('/l/[token]');
    expect(redactUrl('https://label.example/l/abcDEF?x=1')).toBe('https://label.example/l/[token]?x=1');
    expect(redactUrl('/admin/login?token=secret&x=1')).toBe('/admin/login?token=[token]&x=1');
    expect(redactUrl('/mturk?assignmentId=A&workerId=W123&hitId=H')).toBe('/mturk?assignmentId=A&workerId=[worker]&hitId=H');
  });

  it('leaves URLs without secrets alone', () => {
    for (const url of ['https://image-net.org/data/x.tar', '/label?item=3', 'redis://127.0.0.1:6379']) expect(redactUrl(url)).toBe(url);
  });
});
