/**
 * The server's pages, snapshot-tested: the HTML a labeller, an MTurk worker and the builder see
 * (a change to markup, escaping or wording shows up as a diff of these files).
 */
import { describe, expect, it } from 'vitest';
import type { ClassDef } from '../../src/classes/index.ts';
import { html } from '../../src/core/html.ts';
import { renderDashboard } from '../../src/server/pages/dashboard-page.ts';
import { renderMessagePage, renderMturkSubmitPage, renderTaskPage } from '../../src/server/pages/task-page.ts';

const cls: ClassDef = {
  index: 0,
  id: 'n01440764',
  names: ['tench', 'Tinca tinca'],
  definition: 'freshwater dace-like game fish of Europe & <western> Asia',
  urls: [],
  hypernyms: ['n01439121'],
  similar: [],
};
const tokens = ['tok-a', 'tok-b', 'tok-c'];

describe('server pages', () => {
  it('the task page for an invited labeller', async () => {
    const page = renderTaskPage({
      cls,
      scope: 'asg-1',
      tokens,
      mode: 'web',
      action: '/label/submit',
      hidden: { assignment: 'asg-1', csrf: 'csrf-token' },
      expiresAt: '2026-12-02T10:00:00.000Z',
      thumbnailSize: 320,
    });
    await expect(page).toMatchFileSnapshot('__snapshots__/task-page-web.html');
    expect(page).not.toContain('<western>'); // the gloss is escaped
  });

  it('the MTurk preview (read only) and the MTurk submit page', async () => {
    await expect(renderTaskPage({ cls, scope: 'preview-x', tokens, mode: 'preview', action: '', hidden: {}, thumbnailSize: 320 })).toMatchFileSnapshot(
      '__snapshots__/task-page-preview.html',
    );
    await expect(
      renderMturkSubmitPage({
        submitUrl: 'https://workersandbox.mturk.com/mturk/externalSubmit',
        mturkAssignmentId: 'MT-1',
        assignmentId: 'asg-2',
        selected: 2,
      }),
    ).toMatchFileSnapshot('__snapshots__/mturk-submit.html');
  });

  it('a message page and the dashboard with a notice and a warning', async () => {
    await expect(renderMessagePage('No task right now', 'Every task has its answers <b>', html`<a href="/label">again</a>`)).toMatchFileSnapshot(
      '__snapshots__/message-page.html',
    );
    await expect(
      renderDashboard({
        classes: [],
        workers: [],
        csrf: 'csrf',
        minAnswers: 10,
        dedupReview: '/dedup',
        notice: 'done',
        warning: 'computed on the main thread',
      }),
    ).toMatchFileSnapshot('__snapshots__/dashboard-empty.html');
  });
});
