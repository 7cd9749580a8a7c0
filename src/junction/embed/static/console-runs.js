// Runs: a transaction page follows a transaction that is still queued, running or waiting.
// Every 2 seconds it asks for the transaction's state; when the status or the number of
// steps run has changed it reloads the page, and it stops once the transaction has ended.
// Without this script the page's Refresh link does the same by hand.
"use strict";
(() => {
  const live = document.getElementById("runs-live");
  if (!live || live.dataset.final === "true") return;
  const every = 2000;
  let failures = 0;
  const check = async () => {
    try {
      const answer = await fetch(live.dataset.state, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!answer.ok) throw new Error(String(answer.status));
      const state = await answer.json();
      failures = 0;
      if (state.Status !== live.dataset.status || String(state.StepCount) !== live.dataset.steps) {
        window.location.reload();
        return;
      }
      if (state.Final) return;
    } catch (problem) {
      failures += 1;
      if (failures >= 5) {
        live.textContent = "Stopped following this transaction: use Refresh.";
        return;
      }
    }
    window.setTimeout(check, every);
  };
  window.setTimeout(check, every);
})();
