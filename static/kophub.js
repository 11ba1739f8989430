// Kophub search as you type: after a short pause, fetch the results page for the words typed and
// swap the results and filters in place (the page works the same without this file).
(function () {
  // Wide screens have room for the filters: show them open.
  var filters = document.querySelector(".kh-filter");
  if (filters && window.matchMedia("(min-width: 52rem)").matches) filters.open = true;
})();
(function () {
  var form = document.querySelector(".kh-search");
  var input = document.getElementById("kh-q");
  var layout = document.querySelector(".kh-layout");
  if (!form || !input || !layout || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var latest = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var words = input.value.trim();
      if (words.length === 1) return;
      var url = form.action + "?" + new URLSearchParams(new FormData(form)).toString();
      var ticket = ++latest;
      fetch(url, { headers: { "Accept": "text/html" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (ticket !== latest) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".kh-layout");
          if (!fresh) return;
          layout.replaceChildren.apply(layout, Array.prototype.slice.call(fresh.childNodes));
          history.replaceState(null, "", url);
        })
        .catch(function () {});
    }, 300);
  });
})();
