// Posts the answer on to MTurk once the retest server has stored it.
(function () {
  'use strict';
  var form = document.getElementById('mturk-form');
  if (form) form.submit();
})();
