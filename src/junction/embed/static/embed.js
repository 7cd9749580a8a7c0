// Junction's customer pages: the little that needs a script. Every page works without it
// (forms post, links open in the same window); this adds popups, the hand-off of results
// to the partner's page, confirmations and the step-by-step mode.
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // The page that opened this one (a popup), or the page this one is framed in.
  function host() {
    if (window.opener && window.opener !== window) return window.opener;
    if (window.parent && window.parent !== window) return window.parent;
    return null;
  }

  // LAUNCH's last page: the result object goes to the partner's page, as a JSON string.
  var result = data("jn-result");
  if (result) {
    var target = host();
    // Only to the partner's origins (the browser drops it for a page on any other).
    var origins = data("jn-result-origins") || [];
    if (target) {
      origins.forEach(function (origin) {
        target.postMessage(JSON.stringify(result), origin);
      });
    }
    var close = document.querySelector("[data-close]");
    if (close) {
      close.addEventListener("click", function () {
        if (window.opener) window.close();
        else close.textContent = "You can close this page.";
      });
    }
  }

  // The end of a connector authentication link: tell the partner's page, or go on to it.
  var handOff = data("jn-hand-off");
  if (handOff) {
    var partner = host();
    if (handOff.message && partner) {
      partner.postMessage(handOff.message, handOff.targetOrigin);
    } else if (!handOff.message && handOff.ok) {
      window.location.assign(handOff.targetOrigin);
    }
  }

  // The end of an OAuth sign-in in a popup: tell the set-up page, then close.
  var oauth = data("jn-oauth");
  if (oauth && window.opener && window.opener !== window) {
    window.opener.postMessage(oauth, window.location.origin);
    if (oauth.ok) window.close();
  }

  // The set-up page reloads when a sign-in it opened in a popup ends.
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    if (event.data && event.data.type === "junction:oauth") {
      var url = new URL(window.location.href);
      url.search = event.data.ok ? "?notice=Connected." : "?error=" + encodeURIComponent(event.data.message || "Not connected");
      window.location.assign(url.toString());
    }
  });

  document.querySelectorAll("a[data-popup]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var opened = window.open(link.href, "junction-oauth", "width=560,height=720");
      if (opened) event.preventDefault();
    });
  });

  // A connector authentication link on to its app's sign-in.
  var follow = document.querySelector("a[data-auto-follow]");
  if (follow) window.location.assign(follow.href);

  // LAUNCH with one template: install it at once.
  var auto = document.querySelector("form[data-auto-submit]");
  if (auto) auto.submit();

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  document.querySelectorAll("[aria-disabled=true]").forEach(function (button) {
    button.addEventListener("click", function (event) { event.preventDefault(); });
  });

  // Step-by-step choices: one field at a time, with Back and Next.
  document.querySelectorAll("form.jn-wizard").forEach(function (form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll(".jn-step"));
    var submit = form.querySelector("button[type=submit]");
    if (steps.length < 2) return;
    var at = 0;
    var nav = document.createElement("div");
    nav.className = "jn-actions";
    var back = document.createElement("button");
    back.type = "button"; back.className = "jn-button"; back.textContent = "Back";
    var next = document.createElement("button");
    next.type = "button"; next.className = "jn-button jn-primary"; next.textContent = "Next";
    nav.appendChild(back); nav.appendChild(next);
    form.insertBefore(nav, submit);
    function show() {
      steps.forEach(function (step, i) { step.hidden = i !== at; });
      back.hidden = at === 0;
      next.hidden = at === steps.length - 1;
      submit.hidden = at !== steps.length - 1;
      var field = steps[at].querySelector("input, select");
      if (field) field.focus();
    }
    back.addEventListener("click", function () { at -= 1; show(); });
    next.addEventListener("click", function () { at += 1; show(); });
    show();
  });
})();
