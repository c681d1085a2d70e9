/* The English/Dutch switch, inlined into every report page. It shares label lookups with the index page's
   case table (cases.js) through window.sigmaReport, and sets the language once the page is read, after the
   other scripts have registered for it. No network and no libraries: the pages work from files on disk. */
(function () {
  "use strict";
  var STORE = "sigma-report-lang";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var labels = json("labels") || {};
  var onLanguage = [];

  function dutch() {
    return document.documentElement.classList.contains("nl");
  }

  function label(group, key) {
    var pair = (labels[group] || {})[key];
    return pair ? pair[dutch() ? 1 : 0] : key;
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function setLanguage(code, remember) {
    var root = document.documentElement;
    root.classList.toggle("nl", code === "nl");
    root.lang = code;
    document.querySelectorAll(".lang button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === code));
    });
    document.querySelectorAll("[data-nl]").forEach(function (el) {
      el.textContent = el.getAttribute(code === "nl" ? "data-nl" : "data-en");
    });
    document.querySelectorAll("[data-placeholder-nl]").forEach(function (el) {
      el.placeholder = el.getAttribute(code === "nl" ? "data-placeholder-nl" : "data-placeholder-en");
    });
    if (remember) {
      try { localStorage.setItem(STORE, code); } catch (e) { /* storage disabled: the choice is not kept */ }
    }
    onLanguage.forEach(function (f) { f(); });
  }

  document.querySelectorAll(".lang button").forEach(function (b) {
    b.addEventListener("click", function () { setLanguage(b.getAttribute("data-lang"), true); });
  });
  window.sigmaReport = {json: json, label: label, fill: fill, onLanguage: onLanguage};
  document.addEventListener("DOMContentLoaded", function () {
    var saved = null;
    try { saved = localStorage.getItem(STORE); } catch (e) { saved = null; }
    setLanguage(saved === "nl" ? "nl" : "en", false);
  });
}());
