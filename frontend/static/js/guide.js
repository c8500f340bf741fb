// The labeling guide's small helpers: filter the index as you type, and preview Markdown live.
// No dependencies. The preview HTML comes from the server, already sanitized (same as saving).
(function () {
  "use strict";

  // Lower case without accents, as the server folds names ("Pékinois" finds "pekinois").
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // Typing filters the lists on the page: each card shows how many of its items match and
  // disappears when none does; a line says so when nothing at all matches. (Search, on the
  // server, looks through the whole guide.)
  function setupFilter(input) {
    var root = document.querySelector(input.getAttribute("data-guide-filter"));
    if (!root) return;
    var groups = root.querySelectorAll("[data-filter-group]");
    var empty = document.getElementById("guide-filter-empty");
    var echo = empty && empty.querySelector("[data-filter-echo]");

    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var anyShown = false;
      groups.forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("[data-filter-text]").forEach(function (item) {
          var text = item.getAttribute("data-filter-text");
          item.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
          if (!item.hidden) shown += 1;
        });
        var count = group.querySelector("[data-filter-count]");
        if (count) count.textContent = words.length ? shown : count.getAttribute("data-total");
        group.hidden = words.length > 0 && shown === 0;
        if (!group.hidden) anyShown = true;
      });
      if (empty) {
        empty.hidden = anyShown;
        if (echo) echo.textContent = input.value.trim();
      }
    }

    input.addEventListener("input", apply);
  }

  function setupPreview(editor) {
    var url = editor.getAttribute("data-preview-url");
    var textarea = editor.querySelector("textarea");
    var target = editor.querySelector(".guide-preview");
    var form = editor.closest("form");
    var tokenInput = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!url || !textarea || !target || !tokenInput) return;
    var timer = null;
    var sent = 0;

    function refresh() {
      var mine = ++sent;
      var body = new FormData();
      body.append("text", textarea.value);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput.value, "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) throw new Error("preview failed: " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (mine !== sent) return; // an older answer arriving late
          target.innerHTML = data.html; // sanitized by the server (nh3 allow-list)
          target.classList.remove("stale");
        })
        .catch(function () { target.classList.add("stale"); });
    }

    textarea.addEventListener("input", function () {
      target.classList.add("stale");
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-guide-filter]").forEach(setupFilter);
    document.querySelectorAll(".guide-editor[data-preview-url]").forEach(setupPreview);
  });
})();
