// The desk's only script: results as you type. Every page works without it.
"use strict";

(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  const announce = document.getElementById("announce");
  if (!form || !results) {
    return;
  }
  const query = form.querySelector("#q");
  const lang = form.querySelector("#patient-lang");
  let timer = null;
  let controller = null;

  function update() {
    const params = new URLSearchParams({ q: query.value, lang: lang.value });
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    fetch("/search?" + params.toString(), {
      signal: controller.signal,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html;
        const count = results.querySelector(".count");
        if (announce && count) {
          announce.textContent = count.textContent;
        }
        history.replaceState(null, "", "/?" + params.toString());
      })
      .catch(function () {
        // A newer request replaced this one, or the server is gone: keep the list shown.
      });
  }

  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  });
  lang.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    update();
  });
})();
