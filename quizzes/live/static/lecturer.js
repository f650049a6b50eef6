// The lecturer's page (projector): the join banner, the shown question, a live bar chart, the controls.
// The secret comes from the address's #fragment (never sent to the server in a URL, removed from the
// address bar at once so the projector does not show it) and goes with every request as a header.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let secret = sessionStorage.getItem("learnathon-live-secret");
  if (location.hash.length > 1) {
    secret = decodeURIComponent(location.hash.slice(1));
    sessionStorage.setItem("learnathon-live-secret", secret);
    history.replaceState(null, "", location.pathname);
  }
  let snapshot = null;
  let chartHidden = false;
  let controller = null;

  async function request(path, body) {
    const init = {headers: {Authorization: "Bearer " + secret}};
    if (body !== undefined) { init.method = "POST"; init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const response = await fetch(path, init);
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      const error = new Error(message); error.status = response.status; throw error;
    }
    return response;
  }

  function showLogin(message) {
    $("stage").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
  }

  // Server-sent events over fetch: EventSource cannot send the secret as a header.
  async function follow() {
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const response = await fetch("/api/lecturer/events", {headers: {Authorization: "Bearer " + secret}, signal});
        if (response.status === 403) { showLogin("The secret is not this session's."); return; }
        if (!response.ok) throw new Error(response.statusText);
        $("login").hidden = true; $("stage").hidden = false;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        delay = 500;
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
            const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
            if (block.startsWith("event: state") && data) { snapshot = JSON.parse(data); render(); }
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        $("status").textContent = "Connection lost, reconnecting…";
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  function render() {
    const q = snapshot.question, state = snapshot.state;
    $("join-code").textContent = snapshot.code;
    $("participants").textContent = String(snapshot.participants);
    $("progress").textContent = "Question " + (q.index + 1) + " of " + q.total + " · " + q.section;
    $("status").textContent = state.voting_open ? "Voting is open" : state.revealed ? "Answer revealed" : "Voting is closed";
    $("status").className = "status" + (state.voting_open ? " open" : "");
    $("question-text").innerHTML = q.html;
    const figure = $("figure");
    if (q.figure) { if (figure.getAttribute("src") !== q.figure) figure.src = q.figure; figure.alt = q.figure_alt; figure.hidden = false; }
    else { figure.hidden = true; figure.removeAttribute("src"); }
    const chart = $("chart");
    chart.replaceChildren();
    const total = snapshot.respondents;
    for (const option of q.options) {
      const votes = snapshot.counts[option.key] || 0;
      const row = document.createElement("div");
      row.className = "bar-row" + (state.revealed && q.correct.includes(option.key) ? " correct" : "");
      row.dataset.key = option.key;
      const label = document.createElement("div");
      label.className = "bar-label";
      const key = document.createElement("span"); key.className = "key"; key.textContent = option.key;
      const text = document.createElement("span"); text.className = "text"; text.innerHTML = option.html;
      label.append(key, text);
      const track = document.createElement("div"); track.className = "track";
      const fill = document.createElement("div"); fill.className = "fill";
      const share = total ? 100 * votes / total : 0;
      fill.style.width = (chartHidden ? 0 : share) + "%";
      track.append(fill);
      const figureText = document.createElement("span"); figureText.className = "figure-text";
      figureText.textContent = chartHidden ? "" : share.toFixed(1) + "% (" + votes + ")";
      row.append(label, track, figureText);
      if (state.revealed && option.explanation_html) {
        const explanation = document.createElement("div"); explanation.className = "option-explanation";
        explanation.innerHTML = option.explanation_html;
        row.append(explanation);
      }
      chart.append(row);
    }
    $("respondents").textContent = total + " response(s)";
    $("explanation").innerHTML = state.revealed ? q.explanation_html : "";
    document.querySelector("[data-action=previous]").disabled = q.index === 0;
    document.querySelector("[data-action=next]").disabled = q.index === q.total - 1;
    document.querySelector("[data-action=open]").disabled = state.voting_open;
    document.querySelector("[data-action=close]").disabled = !state.voting_open;
    document.querySelector("[data-action=reveal]").disabled = state.revealed;
    $("toggle-chart").textContent = chartHidden ? "Show chart" : "Hide chart";
  }

  async function act(action) {
    $("control-error").textContent = "";
    try {
      snapshot = await (await request("/api/control", {action})).json();
      render();
    } catch (error) {
      $("control-error").textContent = error.message;
      if (error.status === 403) showLogin(error.message);
    }
  }

  async function download(name) {
    try {
      const blob = await (await request("/api/lecturer/export/" + name)).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = snapshot.code + "-" + name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) {
      $("control-error").textContent = error.message;
    }
  }

  for (const button of document.querySelectorAll("[data-action]")) button.addEventListener("click", () => act(button.dataset.action));
  for (const button of document.querySelectorAll("[data-export]")) button.addEventListener("click", () => download(button.dataset.export));
  $("toggle-chart").addEventListener("click", () => { chartHidden = !chartHidden; if (snapshot) render(); });
  document.addEventListener("keydown", (event) => {
    if (!snapshot || event.target.tagName === "INPUT") return;
    const action = {ArrowRight: "next", PageDown: "next", ArrowLeft: "previous", PageUp: "previous", o: "open", c: "close", r: "reveal"}[event.key];
    if (action) { event.preventDefault(); act(action); }
    if (event.key === "h") { chartHidden = !chartHidden; render(); }
  });
  $("login-button").addEventListener("click", () => { secret = $("secret").value.trim(); sessionStorage.setItem("learnathon-live-secret", secret); follow(); });
  fetch("/api/info").then((r) => r.json()).then((info) => { $("join-url").textContent = info.join_url.replace(/\?code=.*/, ""); });
  window.learnathonLecturer = {state: () => snapshot, act};
  if (secret) follow(); else showLogin();
})();
