// Suggest similar initiatives while someone types (debounced). The form works without this.
// Texts come from the page (data-* attributes rendered from the catalogue), so both languages
// stay in one place. A portfolio initiative is a link to its public page, opened in a new tab so
// the text being written is not lost; another person's submission shows its title only, never a
// link. The count is announced through a polite status region; the list itself is not live,
// so a screen reader is not read five titles on every pause in typing.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var title = document.getElementById("title");
  var box = document.getElementById("live");
  var list = document.getElementById("live-list");
  var status = document.getElementById("live-status");
  if (!text || !box || !list || !status || !window.fetch || !window.AbortController) { return; }
  var d = box.dataset;
  var lang = d.lang === "en" ? "en" : "sv";
  var timer = null, last = "", controller = null, shown = 0;

  function announce(count) {
    var message = count === 0 ? status.dataset.none
      : count === 1 ? status.dataset.one
      : status.dataset.many.replace("{n}", String(count));
    if (count === 0 && shown === 0) { message = ""; }  // nothing found before either: stay quiet
    status.textContent = message;
  }

  function item(m) {
    var li = document.createElement("li");
    li.className = "match" + (m.possible_duplicate ? " duplicate" : "");
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = (m.kind === "portfolio" ? d.kindPortfolio : d.kindSubmission) + " " + m.ref;
    li.appendChild(kind);
    var name = m.title || d.untitled;
    var heading;
    if (m.kind === "portfolio") {
      heading = document.createElement("a");
      heading.href = "/portfolio/" + encodeURIComponent(m.ref) + "?lang=" + lang;
      heading.target = "_blank";
      heading.rel = "noopener";
      heading.textContent = name + " ";
      var tab = document.createElement("span");
      tab.className = "new-tab";
      tab.textContent = "(" + d.newTab + ")";
      heading.appendChild(tab);
    } else {
      heading = document.createElement("strong");
      heading.textContent = name;
    }
    heading.className = "match-title";
    li.appendChild(heading);
    if (m.possible_duplicate) {
      var flag = document.createElement("span");
      flag.className = "flag";
      flag.textContent = d.duplicate;
      li.appendChild(flag);
    }
    return li;
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (m) { list.appendChild(item(m)); });
    box.hidden = results.length === 0;
    announce(results.length);
    shown = results.length;
  }

  function query() {
    var q = ((title && title.value) ? title.value + "\n" : "") + text.value;
    q = q.trim();
    if (q.length < 12 || q === last) { return; }
    last = q;
    if (controller) { controller.abort(); }
    controller = new AbortController();
    // the text goes in the body: a URL would carry it into access logs and browser history
    fetch("/api/similar", {
      method: "POST",
      signal: controller.signal,
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ text: q.slice(0, 4000), limit: 5 })
    })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { show(data.results || []); })
      .catch(function () { /* suggestions are optional; an aborted query is replaced by the next */ });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(query, 400); }
  text.addEventListener("input", schedule);
  if (title) { title.addEventListener("input", schedule); }
})();
