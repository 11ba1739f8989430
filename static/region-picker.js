// Progressive enhancement of the region picker: choosing a level loads the next one, and a
// type-ahead finds a village by name. Without JavaScript the "Lanjut" button does the same.
(function () {
  var picker = document.querySelector("[data-region-picker]");
  if (!picker) return;
  var names = {1: "province", 2: "regency", 3: "district", 4: "village_code"};
  var next = picker.querySelector("[data-picker-next]");
  if (next) next.hidden = true;

  function selectFor(level) { return picker.querySelector("select[data-level='" + level + "']"); }

  function ensureSelect(level, label) {
    var sel = selectFor(level);
    if (sel) return sel;
    var wrap = document.createElement("label");
    wrap.className = "field";
    var span = document.createElement("span");
    span.textContent = label;
    sel = document.createElement("select");
    sel.name = names[level];
    sel.setAttribute("data-level", level);
    wrap.appendChild(span); wrap.appendChild(sel);
    var typeahead = picker.querySelector("[data-typeahead]");
    picker.insertBefore(wrap, typeahead);
    sel.addEventListener("change", onChange);
    return sel;
  }

  // Labels come from the page (translated); these are only the fallback.
  var labels = {
    2: picker.getAttribute("data-label-2") || "Kabupaten/kota",
    3: picker.getAttribute("data-label-3") || "Kecamatan",
    4: picker.getAttribute("data-label-4") || "Desa/kelurahan"
  };
  var placeholder = picker.getAttribute("data-choose") || "— pilih —";

  function fill(sel, items, chosen) {
    var first = sel.options.length ? sel.options[0].text : placeholder;
    sel.innerHTML = "";
    sel.appendChild(new Option(first, ""));
    items.forEach(function (r) { sel.appendChild(new Option(r.name, r.code, false, r.code === chosen)); });
  }

  function clearBelow(level) {
    for (var l = level + 1; l <= 4; l++) {
      var sel = selectFor(l);
      if (sel) sel.closest("label").remove();
    }
  }

  function load(level, parent, chosen) {
    return fetch("/api/v1/regions?parent=" + encodeURIComponent(parent))
      .then(function (r) { return r.json(); })
      .then(function (items) { fill(ensureSelect(level, labels[level]), items, chosen); });
  }

  function onChange(ev) {
    var level = parseInt(ev.target.getAttribute("data-level"), 10);
    clearBelow(level);
    if (ev.target.value && level < 4) load(level + 1, ev.target.value);
  }

  [1, 2, 3, 4].forEach(function (l) { var s = selectFor(l); if (s) s.addEventListener("change", onChange); });

  var box = picker.querySelector("[data-typeahead]");
  var input = box.querySelector("input");
  var list = box.querySelector("datalist");
  var found = {};
  box.hidden = false;
  input.addEventListener("input", function () {
    var q = input.value.trim();
    if (found[q]) { choose(found[q]); return; }
    if (q.length < 2) return;
    fetch("/api/v1/regions/search?q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (items) {
        list.innerHTML = "";
        items.forEach(function (p) { found[p.label] = p.code; list.appendChild(new Option(p.label)); });
      });
  });

  function choose(code) {
    var parts = code.split(".");
    var chain = [parts[0], parts.slice(0, 2).join("."), parts.slice(0, 3).join("."), code];
    clearBelow(1);
    selectFor(1).value = chain[0];
    load(2, chain[0], chain[1])
      .then(function () { return load(3, chain[1], chain[2]); })
      .then(function () { return load(4, chain[2], chain[3]); });
  }
})();
