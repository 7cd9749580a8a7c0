// The template builder: narrowing the add-step list, showing only the inputs of the chosen
// source, opening a step from the flow, sending the builder's forms without reloading the
// page (the server's answer, with the problems checked again, replaces the page's content),
// and looking again while a test run is running. Everything works without it.
(function () {
  "use strict";

  function narrow(input) {
    var select = document.getElementById(input.getAttribute("data-filter"));
    if (!select) return;
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      var shown = 0;
      Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
        var text = (group.label + " " + option.textContent).toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match) shown += 1;
      });
      group.hidden = shown === 0;
    });
  }

  function showSource(select) {
    var id = select.getAttribute("data-source");
    var chosen = select.value;
    document.querySelectorAll('[data-for="' + id + '"]').forEach(function (part) {
      part.hidden = part.getAttribute("data-when").split(" ").indexOf(chosen) === -1;
    });
  }

  function enhance() {
    document.querySelectorAll("[data-filter]").forEach(function (input) {
      input.addEventListener("input", function () { narrow(input); });
    });
    document.querySelectorAll("[data-source]").forEach(function (select) {
      showSource(select);
      select.addEventListener("change", function () { showSource(select); });
    });
    document.querySelectorAll("[data-href]").forEach(function (box) {
      box.addEventListener("click", function () { window.location.href = box.getAttribute("data-href"); });
    });
    var reload = document.querySelector("[data-reload]");
    if (reload) {
      var seconds = parseFloat(reload.getAttribute("data-reload")) || 2;
      window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  }

  // Where the reader should land after the content is replaced: the refusal, else the notice.
  function land() {
    var target = document.querySelector('main [aria-invalid="true"]') ||
      document.querySelector("main .jn-error") || document.querySelector("main .jn-notice");
    if (!target) return;
    if (!target.matches("input, select, textarea")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: false });
  }

  function send(form) {
    var body = new URLSearchParams(new FormData(form));
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    return window.fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (answer) {
        return answer.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var main = page.querySelector("main");
          if (!main) throw new Error("no page");
          document.querySelector("main").replaceWith(document.adoptNode(main));
          document.title = page.title;
          if (answer.redirected) window.history.replaceState(null, "", answer.url);
          enhance();
          land();
        });
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        form.submit();
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // The test run leaves for its own page; the sign-out is not the builder's.
    if (!form.closest("main") || form.method.toLowerCase() !== "post" ||
        /\/test$/.test(form.getAttribute("action") || "")) return;
    event.preventDefault();
    send(form);
  });

  document.addEventListener("DOMContentLoaded", enhance);
})();
