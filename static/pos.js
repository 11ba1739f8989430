/* The gerai counter's keyboard help: search as you type under the code field (arrows choose,
   Enter adds), F2 back to the code field, F4 to the payment, live change for cash; on a receipt,
   Enter goes to the next sale and a print button. Everything also works without this script. */
(function () {
  "use strict";
  var form = document.querySelector("form.scan[data-search]");
  var code = document.getElementById("code");
  var hits = document.getElementById("hits");
  var active = -1, timer = null, last = "";

  function clearHits() { hits.innerHTML = ""; hits.hidden = true; active = -1; }
  function mark() {
    var items = hits.querySelectorAll("li");
    for (var i = 0; i < items.length; i++) items[i].setAttribute("aria-selected", i === active ? "true" : "false");
  }
  function rupiah(n) { return "Rp " + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  function show(list) {
    hits.innerHTML = "";
    list.forEach(function (p) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.code = p.code;
      li.textContent = p.name + " · " + p.code + " · " + rupiah(p.price) + "/" + p.unit;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); code.value = p.code; form.submit(); });
      hits.appendChild(li);
    });
    hits.hidden = list.length === 0;
    active = -1;
  }
  if (form && code && hits) {
    code.addEventListener("input", function () {
      var q = code.value.trim();
      clearTimeout(timer);
      if (q.length < 2 || /^\d{8,}$/.test(q)) { clearHits(); return; } /* a scanner types digits: no list */
      timer = setTimeout(function () {
        last = q;
        fetch(form.dataset.search + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (list) { if (code.value.trim() === last) show(list); })
          .catch(clearHits);
      }, 120);
    });
    code.addEventListener("keydown", function (e) {
      var items = hits.querySelectorAll("li");
      if (e.key === "ArrowDown" && items.length) { active = (active + 1) % items.length; mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && items.length) { active = (active - 1 + items.length) % items.length; mark(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0 && items[active]) { code.value = items[active].dataset.code; clearHits(); }
      else if (e.key === "Escape") { clearHits(); }
    });
    code.addEventListener("blur", function () { setTimeout(clearHits, 150); });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "F2" && code) { code.focus(); code.select(); e.preventDefault(); }
    if (e.key === "F4") {
      /* subsidised goods not yet checked: the buyer's quota first, then the payment */
      var quota = document.querySelector("#quota[data-unchecked]");
      var m = document.getElementById(quota ? "quota-member" : "member");
      if (m) { m.focus(); m.select(); e.preventDefault(); }
    }
  });
  var tunai = document.getElementById("tunai"), total = document.getElementById("total"), change = document.getElementById("change");
  if (tunai && total && change) {
    tunai.addEventListener("input", function () {
      var given = parseInt(tunai.value.replace(/\./g, ""), 10), due = parseInt(total.dataset.total, 10);
      change.textContent = isNaN(given) ? "" : (given >= due ? "Kembali " + rupiah(given - due) : "Kurang " + rupiah(due - given));
    });
  }
  var next = document.getElementById("next");
  if (next) next.focus();
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
