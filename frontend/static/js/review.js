// The review screen: the image and all its candidates at once. Each candidate is a group of
// verdict radios; keys 1-9 select a candidate, c / w / u judge it, s skips it, a adds a class
// (the labeling screen's search picker), n goes to the next image once every candidate is judged.
// Every verdict is sent at once with its own Idempotency-Key; the server says which image is next.
(function () {
  "use strict";
  var NS = window.LabelScreen;
  var config = JSON.parse(document.getElementById("review-config").textContent);
  var VERDICTS = ["correct", "wrong", "unclear", "skip"];
  var KEYS = { c: "correct", w: "wrong", u: "unclear", s: "skip" };
  var $ = function (id) {
    return document.getElementById(id);
  };
  var ui = {
    layout: $("review-layout"),
    done: $("review-done"),
    image: $("review-image"),
    list: $("review-candidates"),
    position: $("review-position"),
    progress: $("review-progress"),
    fill: $("review-progress-fill"),
    notice: $("review-notice"),
    error: $("review-error"),
    pickerBox: $("review-picker"),
    search: $("review-search"),
    keys: $("review-keys-dialog"),
    flag: $("review-flag-dialog"),
  };
  var item = config.item;
  var upcoming = null; // the next item as the last response gave it
  var selected = 0;
  var total = Number(ui.progress.getAttribute("aria-valuemax"));

  var key = NS.idempotencyKey;

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  }

  var inFlight = []; // requests not answered yet: the next image waits for them

  function send(body) {
    var request = post(body);
    inFlight.push(request);
    var forget = function () {
      inFlight.splice(inFlight.indexOf(request), 1);
    };
    request.then(forget, forget);
    return request;
  }

  function post(body) {
    return fetch(config.urls.judgments, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": config.csrf_token,
        "Idempotency-Key": key(),
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data.detail || JSON.stringify(data));
        }
        showError("");
        upcoming = data.next;
        setProgress(data.next);
        return data;
      });
    }).catch(function (error) {
      showError("Not saved: " + error.message);
      throw error;
    });
  }

  function setProgress(next) {
    var done = next.done ? total : next.position - 1;
    ui.progress.setAttribute("aria-valuenow", String(done));
    ui.progress.setAttribute("aria-valuetext", done + " of " + total + " images done");
    ui.fill.style.width = (total ? (100 * done) / total : 0) + "%";
  }

  function render(next) {
    item = next;
    upcoming = null;
    selected = 0;
    if (item.done) {
      ui.layout.hidden = true;
      ui.done.hidden = false;
      ui.position.textContent = "All " + total + " images done";
      setProgress(item);
      ui.done.querySelector("h2").focus();
      return;
    }
    ui.image.src = item.image;
    ui.position.textContent = "Image " + item.position + " of " + total;
    setProgress(item);
    renderCandidates();
    loadThumbs();
  }

  function renderCandidates() {
    ui.list.textContent = "";
    item.candidates.forEach(function (candidate, index) {
      var li = NS.el("li", "review-candidate");
      li.setAttribute("role", "group");
      li.setAttribute("aria-label", candidate.name);
      li.dataset.wnid = candidate.wnid;
      var head = NS.el("div", "review-candidate-head");
      if (index < 9) head.appendChild(NS.el("kbd", "", String(index + 1)));
      head.appendChild(NS.el("span", "review-candidate-name", candidate.name));
      head.appendChild(NS.el("span", "muted", candidate.wnid));
      if (candidate.model_count !== undefined) {
        head.appendChild(NS.el("span", "badge", candidate.model_count + " models"));
      }
      var guide = NS.el("a", "", "Guide");
      guide.href = config.urls.guide.replace("n00000000", candidate.wnid);
      guide.target = "_blank";
      guide.rel = "noopener";
      guide.setAttribute("aria-label", "Guide entry of " + candidate.name);
      head.appendChild(guide);
      li.appendChild(head);
      if (candidate.gloss) li.appendChild(NS.el("p", "review-gloss", candidate.gloss));
      var verdicts = NS.el("div", "review-verdicts");
      verdicts.setAttribute("role", "radiogroup");
      verdicts.setAttribute("aria-label", "Verdict on " + candidate.name);
      VERDICTS.forEach(function (verdict) {
        var label = NS.el("label");
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "verdict-" + candidate.id;
        radio.value = verdict;
        radio.checked = candidate.verdict === verdict;
        radio.addEventListener("change", function () {
          judge(index, verdict);
        });
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + verdict));
        verdicts.appendChild(label);
      });
      li.appendChild(verdicts);
      li.appendChild(NS.el("div", "review-thumbs"));
      li.addEventListener("focusin", function () {
        select(index, false);
      });
      ui.list.appendChild(li);
    });
    select(selected, false);
  }

  function loadThumbs() {
    var wnids = item.candidates.map(function (c) {
      return c.wnid;
    });
    if (!wnids.length) return;
    var url = config.urls.previews + "?per_class=3&wnids=" + encodeURIComponent(wnids.join(","));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { results: {} };
      })
      .then(function (data) {
        ui.list.querySelectorAll(".review-candidate").forEach(function (li) {
          var box = li.querySelector(".review-thumbs");
          box.textContent = "";
          (data.results[li.dataset.wnid] || []).forEach(function (preview) {
            var img = document.createElement("img");
            img.src = preview.thumbnail_url;
            img.alt = "";
            img.loading = "lazy";
            box.appendChild(img);
          });
        });
      })
      .catch(function () {});
  }

  function select(index, focus) {
    var groups = ui.list.querySelectorAll(".review-candidate");
    if (index < 0 || index >= groups.length) return;
    selected = index;
    groups.forEach(function (li, i) {
      li.classList.toggle("selected", i === index);
    });
    if (focus) {
      var radio = groups[index].querySelector("input:checked") || groups[index].querySelector("input");
      radio.focus();
    }
  }

  function judge(index, verdict) {
    var candidate = item.candidates[index];
    if (!candidate) return;
    var before = candidate.verdict;
    candidate.verdict = verdict;
    var radio = ui.list.querySelectorAll(".review-candidate")[index]
      .querySelector('input[value="' + verdict + '"]');
    radio.checked = true;
    send({ candidate: candidate.id, verdict: verdict }).then(function () {
      var left = unjudged();
      ui.notice.textContent = left
        ? left + " candidate(s) left on this image"
        : "Every candidate judged: n for the next image";
      // Move on to the next candidate unless the reviewer already went elsewhere meanwhile.
      if (left && selected === index && index + 1 < item.candidates.length) {
        select(index + 1, true);
      }
    }, function () {
      candidate.verdict = before; // not saved: show what the server has
      radio.checked = false;
      if (item.candidates[index] === candidate) renderCandidates();
    });
  }

  function unjudged() {
    return item.candidates.filter(function (c) {
      return !c.verdict;
    }).length;
  }

  function next() {
    if (inFlight.length) {
      // The server decides which image is next: ask once every verdict sent is stored.
      Promise.all(inFlight).then(next, function () {});
      return;
    }
    var left = unjudged();
    if (left) {
      ui.notice.textContent = "Judge every candidate first: " + left + " left";
      return;
    }
    if (upcoming && upcoming.item !== item.item) {
      render(upcoming);
      return;
    }
    fetch(config.urls.next, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        showError("Could not load the next image: " + error.message);
      });
  }

  // --- Adding a class -----------------------------------------------------------------------

  var picker = new NS.Picker({
    input: ui.search,
    listbox: $("review-results"),
    status: $("review-search-status"),
    urls: config.urls,
    onView: add,
    onShowInTree: add,
    onLeave: closePicker,
    log: function () {},
  });

  function openPicker() {
    ui.pickerBox.hidden = false;
    picker.focus();
  }

  function closePicker() {
    picker.clear();
    ui.pickerBox.hidden = true;
    select(selected, true);
  }

  function add(wnid) {
    var present = item.candidates.findIndex(function (c) {
      return c.wnid === wnid;
    });
    if (present >= 0) {
      closePicker();
      select(present, true);
      return;
    }
    send({ item: item.item, add_wnid: wnid }).then(function (data) {
      item.candidates.push({
        id: data.candidate,
        wnid: data.wnid,
        name: data.name,
        gloss: "",
        verdict: data.verdict,
      });
      selected = item.candidates.length - 1;
      renderCandidates();
      loadThumbs();
      closePicker();
      ui.notice.textContent = "Added " + data.name + " as correct";
    }, function () {});
  }

  // --- Flag, keys ----------------------------------------------------------------------------

  $("review-flag").addEventListener("click", function () {
    ui.flag.showModal();
  });
  ui.flag.addEventListener("close", function () {
    var reason = $("review-flag-reason").value.trim();
    if (ui.flag.returnValue !== "save" || !reason) return;
    send({ item: item.item, problematic: reason }).then(function () {
      ui.notice.textContent = "Marked problematic";
    }, function () {});
  });
  $("review-keys-button").addEventListener("click", function () {
    ui.keys.showModal();
  });
  ui.keys.querySelector("[data-close]").addEventListener("click", function () {
    ui.keys.close();
  });
  $("review-add").addEventListener("click", openPicker);
  $("review-next").addEventListener("click", next);

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || item.done) return;
    var target = event.target;
    if (target.closest("dialog") || target.matches("input[type=text], textarea")) return;
    if (/^[1-9]$/.test(event.key)) {
      select(Number(event.key) - 1, true);
    } else if (KEYS[event.key]) {
      judge(selected, KEYS[event.key]);
    } else if (event.key === "a") {
      openPicker();
    } else if (event.key === "n") {
      next();
    } else if (event.key === "?") {
      ui.keys.showModal();
    } else {
      return;
    }
    event.preventDefault();
  });

  render(item);
})();
