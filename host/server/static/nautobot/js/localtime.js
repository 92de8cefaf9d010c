// Shows every <time class="localtime" datetime="…"> in the reader's own time zone, as
// Nautobot shows times in the user's; the exact ISO value stays in the title (hover).
// Without scripts the server's UTC text stays.
(function () {
  "use strict";
  function show() {
    var format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short"
    });
    document.querySelectorAll("time.localtime[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        el.textContent = format.format(when);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
