// Suggest similar initiatives while someone types (debounced). The form works without this.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var title = document.getElementById("title");
  var box = document.getElementById("live");
  var list = document.getElementById("live-list");
  if (!text || !box || !list || !window.fetch) { return; }
  var lang = document.documentElement.lang === "en" ? "en" : "sv";
  var kinds = lang === "en" ? { portfolio: "Portfolio initiative", submission: "Submitted idea" }
                            : { portfolio: "Portföljinitiativ", submission: "Inskickad idé" };
  var untitled = lang === "en" ? "(untitled)" : "(utan rubrik)";
  var timer = null, last = "", controller = null;
  function query() {
    var q = ((title && title.value) ? title.value + "\n" : "") + text.value;
    q = q.trim();
    if (q.length < 12 || q === last) { return; }
    last = q;
    if (controller) { controller.abort(); }
    controller = new AbortController();
    fetch("/api/similar?limit=5&text=" + encodeURIComponent(q.slice(0, 4000)), { signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        list.textContent = "";
        data.results.forEach(function (m) {
          var li = document.createElement("li");
          li.className = "match" + (m.possible_duplicate ? " duplicate" : "");
          var kind = document.createElement("span");
          kind.className = "kind";
          kind.textContent = kinds[m.kind] + " " + m.ref;
          var strong = document.createElement("strong");
          strong.className = "match-title";
          strong.textContent = m.title || untitled;
          li.appendChild(kind);
          li.appendChild(strong);
          list.appendChild(li);
        });
        box.hidden = data.results.length === 0;
      })
      .catch(function () { /* suggestions are optional */ });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(query, 400); }
  text.addEventListener("input", schedule);
  if (title) { title.addEventListener("input", schedule); }
})();
