// Refresh the delivery counts on an issue's admin page while it is being sent.
(function () {
  "use strict";
  var POLL_MILLISECONDS = 2000;

  function start() {
    var panel = document.querySelector(".newsletter-progress[data-progress-url]");
    if (!panel || panel.dataset.progressLive !== "true") {
      return;
    }
    var url = panel.dataset.progressUrl;
    var initialStatus = panel.dataset.progressStatus;

    function show(data) {
      panel.querySelectorAll("[data-progress]").forEach(function (element) {
        var name = element.dataset.progress;
        if (name === "bar") {
          element.max = Math.max(data.total, 1);
          element.value = data.sent;
          element.textContent = data.sent + " / " + data.total;
        } else if (name in data) {
          element.textContent = data[name];
        }
      });
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          show(data);
          if (data.status !== initialStatus) {
            // The buttons that make sense change with the status: show the page as it now is.
            window.location.reload();
          } else if (!data.finished) {
            window.setTimeout(poll, POLL_MILLISECONDS);
          }
        })
        .catch(function () {
          window.setTimeout(poll, POLL_MILLISECONDS * 3);
        });
    }

    window.setTimeout(poll, POLL_MILLISECONDS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
