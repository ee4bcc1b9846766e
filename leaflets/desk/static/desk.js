// The desk's only script: results as you type, choices shown as soon as they are made,
// focus kept in place, and work in progress shown. Every page works without it.
"use strict";

(function search() {
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

(function showOnChange() {
  // A new language or kind is shown at once, in place (the focus stays on the
  // choice): the page never prints or sends a choice it does not show. Until
  // the new leaflet is in, its actions cannot be used.
  const form = document.getElementById("choose");
  if (!form) {
    return;
  }
  let controller = null;
  form.addEventListener("change", function () {
    const parts = document.querySelectorAll("#actions, .preview, #notice");
    parts.forEach(function (part) {
      part.inert = true;
    });
    const address =
      form.getAttribute("action") + "?" + new URLSearchParams(new FormData(form)).toString();
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    fetch(address, { signal: controller.signal, credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html");
        ["#title", "#actions", ".preview", "#revised"].forEach(function (selector) {
          const old = document.querySelector(selector);
          const now = fresh.querySelector(selector);
          if (old && now) {
            old.replaceWith(document.importNode(now, true));
          } else if (old) {
            old.remove();
          } else if (now) {
            form.after(document.importNode(now, true));
          }
        });
        const notice = document.getElementById("notice");
        if (notice) {
          notice.remove();
        }
        document.title = fresh.title;
        form.querySelectorAll("input[type=radio]").forEach(function (radio) {
          radio.toggleAttribute("data-shown", radio.checked);
        });
        history.replaceState(null, "", address);
        busyForms(document.getElementById("actions"));
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          form.submit();  // Let the browser load the page with the choice.
        }
      });
  });
})();

(function keepFocus() {
  // After "Add to packet" the page comes back at #in-packet: focus stays there.
  if (location.hash === "#in-packet") {
    const target = document.getElementById("in-packet");
    if (target) {
      target.focus();
    }
  }
})();

function fileNameOf(response) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/.exec(header);
  return match ? decodeURIComponent(match[1]) : "packet.pdf";
}

function busyForms(scope) {
  // A send or a packet shows that it is working, with the seconds it has taken,
  // and cannot be sent twice (the server refuses a second use of the form too).
  if (!scope) {
    return;
  }
  scope.querySelectorAll("form.sends").forEach(function (form) {
    const status = form.querySelector(".busy");
    let working = false;

    function start(button) {
      working = true;
      const label = button.dataset.busy || button.textContent;
      const started = Date.now();
      form.querySelectorAll("button").forEach(function (each) {
        each.disabled = true;
      });
      form.setAttribute("aria-busy", "true");
      status.textContent = label;
      const timer = setInterval(function () {
        const seconds = Math.round((Date.now() - started) / 1000);
        status.textContent = label + " " + seconds + " s";
      }, 1000);
      return function stop() {
        clearInterval(timer);
        working = false;
        status.textContent = "";
        form.removeAttribute("aria-busy");
        form.querySelectorAll("button").forEach(function (each) {
          each.disabled = false;
        });
      };
    }

    form.addEventListener("submit", function (event) {
      const button = event.submitter;
      if (working) {
        event.preventDefault();
        return;
      }
      if (!button || button.value === "draft") {
        return;
      }
      if (button.value === "send") {
        // The browser sends the form itself (with the clicked button's value,
        // read before the buttons are disabled) and shows the answer.
        setTimeout(function () {
          start(button);
        }, 0);
        return;
      }
      // A packet: made in the background, then opened (print) or saved (download).
      event.preventDefault();
      const data = new URLSearchParams(new FormData(form, button));
      const viewer = button.value === "print" ? window.open("", "_blank") : null;
      const stop = start(button);
      // A button named "action" hides form.action: read the attribute.
      const target = button.getAttribute("formaction") || form.getAttribute("action");
      fetch(target, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok || response.headers.get("Content-Type") !== "application/pdf") {
            throw new Error(String(response.status));
          }
          return Promise.all([response.blob(), fileNameOf(response)]);
        })
        .then(function (got) {
          const url = URL.createObjectURL(got[0]);
          if (viewer) {
            viewer.location.href = url;
          } else {
            const link = document.createElement("a");
            link.href = url;
            link.download = got[1];
            document.body.appendChild(link);
            link.click();
            link.remove();
          }
          stop();
        })
        .catch(function () {
          // Let the browser send the form itself: it then shows the desk's own error page.
          stop();
          if (viewer) {
            viewer.close();
          }
          form.setAttribute("action", target);
          HTMLFormElement.prototype.submit.call(form);
        });
    });
  });
}

busyForms(document);
