/* Time zones (issue 14): the signup form's hidden time_zone field takes the browser's zone, and every
   .tz-picker select gets a search box that filters its options (region groups stay). No inline script (CSP). */
(function () {
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function fillHidden() {
    var zone = browserZone();
    document.querySelectorAll('input[type=hidden][name=time_zone]').forEach(function (input) {
      if (!input.value && zone) input.value = zone;
    });
  }
  function searchable(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "Search a city or region";
    box.setAttribute("aria-label", "Search time zones");
    box.className = "tz-search";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      var first = null;
      select.querySelectorAll("optgroup").forEach(function (group) {
        var any = false;
        group.querySelectorAll("option").forEach(function (opt) {
          var hit = !q || (group.label + " " + opt.textContent + " " + opt.value).toLowerCase().indexOf(q) !== -1;
          opt.hidden = !hit;
          if (hit) { any = true; if (!first) first = opt; }
        });
        group.hidden = !any;
      });
      if (q && first) select.value = first.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fillHidden();
    document.querySelectorAll("select.tz-picker").forEach(searchable);
  });
})();
