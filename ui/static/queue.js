// Queue: suggested best times fill the fields they belong to. On the queue page a
// suggestion adds its time to its weekday's field; in the composer it fills the
// "Publish at" input. Without JavaScript the suggestions are a list to read.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button.best-time");
    if (!b) {
      return;
    }
    if (b.dataset.when) {
      var when = document.getElementById("scheduled_for");
      if (when) {
        when.value = b.dataset.when;
        when.dispatchEvent(new Event("input", { bubbles: true }));
        when.focus();
      }
      return;
    }
    var day = document.getElementById("day_" + b.dataset.addDay);
    if (!day) {
      return;
    }
    var times = day.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    if (times.indexOf(b.dataset.addTime) < 0) {
      times.push(b.dataset.addTime);
      times.sort();
    }
    day.value = times.join(", ");
    day.focus();
  });
})();
