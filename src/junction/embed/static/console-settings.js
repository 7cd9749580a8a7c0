// Settings: the eye button shows a client secret in place instead of reloading the page.
// Without this script the same form posts and the page comes back with the secret shown.
"use strict";
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("jn-reveal")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  const shown = form.querySelector(".jn-secret");
  if (button) button.disabled = true;
  try {
    const answer = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!answer.ok) throw new Error(String(answer.status));
    const found = await answer.json();
    shown.textContent = found.ClientSecret;
    if (button) button.hidden = true;
  } catch (problem) {
    shown.textContent = "Could not reveal the secret: reload the page and try again.";
    if (button) button.disabled = false;
  }
});
