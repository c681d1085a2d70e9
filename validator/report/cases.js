/* The index page's table of every checked case: search, filters, sorting and pages, drawn from the JSON
   in the page (lang.js, inlined before this, provides the labels in the chosen language). */
(function () {
  "use strict";
  var report = window.sigmaReport;
  var label = report.label;
  var fill = report.fill;

  function casesTable(data) {
    var rows = data.rows;
    var table = document.getElementById("cases-table");
    var body = table.querySelector("tbody");
    var info = document.getElementById("cases-info");
    var prev = document.getElementById("cases-prev");
    var next = document.getElementById("cases-next");
    var search = document.getElementById("cases-search");
    var filters = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
    var columns = {"case": 0, "checkpoint": 1, "departure": 2, "defects": 3};
    var state = {sort: "case", dir: 1, page: 0};

    function wanted() {
      var w = {q: search.value.trim().toLowerCase()};
      filters.forEach(function (s) { w[s.getAttribute("data-filter")] = s.value; });
      return w;
    }

    function words(r) {
      var parts = [r[0]];
      r[3].forEach(function (d) {
        parts.push(d[3], label("category", d[0]), label("kind", d[1]), label("partner", d[2]));
      });
      return parts.join(" ").toLowerCase();
    }

    function keep(r, w) {
      if ((w.status === "defective" && !r[3].length) || (w.status === "complete" && r[3].length)) {
        return false;
      }
      if (w.category || w.kind || w.partner || w.rule) {
        var hit = r[3].some(function (d) {
          return (!w.category || d[0] === w.category) && (!w.kind || d[1] === w.kind) &&
            (!w.partner || d[2] === w.partner) && (!w.rule || d[3] === w.rule);
        });
        if (!hit) { return false; }
      }
      return !w.q || words(r).indexOf(w.q) !== -1;
    }

    function compare(a, b) {
      var i = columns[state.sort];
      var x = i === 3 ? a[3].length : a[i];
      var y = i === 3 ? b[3].length : b[i];
      if (x !== y) { return x < y ? -state.dir : state.dir; }
      return a[0] < b[0] ? -1 : (a[0] > b[0] ? 1 : 0);
    }

    function td(tr, text, cls) {
      var cell = document.createElement("td");
      if (cls) { cell.className = cls; }
      if (text !== null) { cell.textContent = text; }
      tr.appendChild(cell);
      return cell;
    }

    function row(r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-case", r[0]);
      var key = td(tr, null, "key");
      var code = document.createElement("code");
      code.textContent = r[0];
      if (r[3].length) {
        var link = document.createElement("a");
        link.href = data.folder + "/" + r[0] + ".html";
        link.appendChild(code);
        key.appendChild(link);
      } else {
        key.appendChild(code);
      }
      td(tr, r[1], "checkpoint");
      td(tr, r[2], "departure");
      td(tr, String(r[3].length), "n");
      var list = td(tr, null, "defects");
      if (!r[3].length) {
        var ok = document.createElement("span");
        ok.className = "ok";
        ok.textContent = label("ui", "complete");
        list.appendChild(ok);
      }
      r[3].forEach(function (d) {
        var tag = document.createElement("span");
        tag.className = "tag " + d[1];
        tag.setAttribute("data-category", d[0]);
        tag.setAttribute("data-kind", d[1]);
        tag.setAttribute("data-partner", d[2]);
        tag.setAttribute("data-rule", d[3]);
        tag.title = d[3] + ": " + label("rule", d[3]);
        tag.textContent = label("category", d[0]) + ": " + label("kind", d[1]) + " (" + label("partner", d[2]) +
          ", " + d[3] + ")";
        list.appendChild(tag);
      });
      return tr;
    }

    function render() {
      var w = wanted();
      var shown = rows.filter(function (r) { return keep(r, w); }).sort(compare);
      var pages = Math.max(1, Math.ceil(shown.length / data.page_size));
      state.page = Math.min(state.page, pages - 1);
      var start = state.page * data.page_size;
      var slice = shown.slice(start, start + data.page_size);
      var fragment = document.createDocumentFragment();
      slice.forEach(function (r) { fragment.appendChild(row(r)); });
      body.replaceChildren(fragment);
      info.textContent = shown.length ?
        fill(label("ui", "shown"), {from: start + 1, to: start + slice.length, n: shown.length, total: rows.length}) :
        fill(label("ui", "none"), {total: rows.length});
      info.setAttribute("data-matching", String(shown.length));
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      table.querySelectorAll("th[data-sort]").forEach(function (th) {
        var on = th.getAttribute("data-sort") === state.sort;
        th.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
      });
    }

    function fromHash() {
      var hash = location.hash;
      if (hash.indexOf("#cases") !== 0) { return false; }
      var at = hash.indexOf("?");
      var params = new URLSearchParams(at === -1 ? "" : hash.slice(at + 1));
      search.value = params.get("q") || "";
      filters.forEach(function (s) { s.value = params.get(s.getAttribute("data-filter")) || ""; });
      state.page = 0;
      return true;
    }

    function toHash() {
      var params = new URLSearchParams();
      if (search.value.trim()) { params.set("q", search.value.trim()); }
      filters.forEach(function (s) { if (s.value) { params.set(s.getAttribute("data-filter"), s.value); } });
      var query = params.toString();
      try {
        history.replaceState(null, "", "#cases" + (query ? "?" + query : ""));
      } catch (e) { /* some browsers refuse this for files on disk: the filters then just are not in the address */ }
    }

    function changed() {
      state.page = 0;
      toHash();
      render();
    }

    search.addEventListener("input", changed);
    filters.forEach(function (s) { s.addEventListener("change", changed); });
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    table.querySelectorAll("th[data-sort] button").forEach(function (button) {
      button.addEventListener("click", function () {
        var column = button.parentNode.getAttribute("data-sort");
        state.dir = column === state.sort ? -state.dir : 1;
        state.sort = column;
        state.page = 0;
        render();
      });
    });
    window.addEventListener("hashchange", function () {
      if (fromHash()) {
        render();
        document.getElementById("cases").scrollIntoView();
      }
    });
    if (fromHash() && location.hash !== "#cases") {
      document.getElementById("cases").scrollIntoView();
    }
    report.onLanguage.push(render);
  }

  var data = report.json("cases-data");
  if (data) { casesTable(data); }
}());
