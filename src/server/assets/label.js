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
  form.addEventListener('submit', function () {
    if (button) {
      // Let the browser send the form first, then block a second click.
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  refresh();
  if (boxes.length > 0 && !boxes[0].disabled) boxes[0].focus();
})();
