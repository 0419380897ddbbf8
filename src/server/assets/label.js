// retest labelling page: keyboard and mouse selection on a grid of checkboxes.
// Arrow keys move the focus through the grid, space toggles (native checkbox), enter submits.
// Works without this script too: the checkboxes live in a plain form.
(function () {
  'use strict';
  var form = document.getElementById('task-form');
  if (!form) return;
  var grid = form.querySelector('.grid');
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="sel"]'));
  var counter = document.getElementById('selected-count');
  var button = form.querySelector('button[type="submit"]');

  function columns() {
    var cols = window.getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length;
    return cols > 0 ? cols : 1;
  }
  function refresh() {
    var n = 0;
    boxes.forEach(function (box) {
      box.closest('.cell').classList.toggle('selected', box.checked);
      if (box.checked) n++;
    });
    if (counter) counter.textContent = String(n);
  }
  function move(from, delta) {
    var to = Math.max(0, Math.min(boxes.length - 1, from + delta));
    boxes[to].focus();
    boxes[to].closest('.cell').scrollIntoView({ block: 'nearest' });
  }

  form.addEventListener('change', refresh);
  form.addEventListener('keydown', function (event) {
    var index = boxes.indexOf(document.activeElement);
    if (event.key === 'Enter') {
      event.preventDefault();
      if (button && !button.disabled) form.requestSubmit ? form.requestSubmit(button) : form.submit();
      return;
    }
    if (index < 0) return;
    var cols = columns();
    var delta = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[event.key];
    if (delta !== undefined) {
      event.preventDefault();
      move(index, delta);
    }
  });
  // A busy server refuses a submission (503 + Retry-After) rather than keep it waiting: the page
  // sends it again by itself, so the labeller's selection is never lost to a refusal. Only the
  // labelling app's own form (the MTurk form posts on to MTurk, natively); without fetch, the
  // plain form post.
  var status = document.getElementById('submit-status');
  var retrying = /\/label\/submit$/.test(form.getAttribute('action') || '') && window.fetch && window.FormData && window.URLSearchParams;
  var MAX_TRIES = 6;
  function say(text) {
    if (status) status.textContent = text;
  }
  function send(tries) {
    fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      body: new URLSearchParams(new FormData(form))
    }).then(function (res) {
      if (res.ok) return window.location.assign('/label?notice=done');
      if (res.status === 409) return window.location.assign('/label?notice=expired');
      if (res.status === 503 && tries < MAX_TRIES) {
        var seconds = Math.min(30, Number(res.headers.get('Retry-After')) || 2);
        say('Many people are labelling right now: sending your answer again in ' + seconds + ' s…');
        return setTimeout(function () { send(tries + 1); }, seconds * 1000);
      }
      // Anything else: the plain post, so that the server's own page says what went wrong.
      form.submit();
    }, function () {
      if (tries < MAX_TRIES) {
        say('The connection failed: sending your answer again in 2 s…');
        setTimeout(function () { send(tries + 1); }, 2000);
      } else form.submit();
    });
  }
  form.addEventListener('submit', function (event) {
    if (retrying) {
      event.preventDefault();
      if (button) button.disabled = true;
      say('Sending…');
      send(1);
      return;
    }
    if (button) {
      // Let the browser send the form first, then block a second click.
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  refresh();
  if (boxes.length > 0 && !boxes[0].disabled) boxes[0].focus();
})();
