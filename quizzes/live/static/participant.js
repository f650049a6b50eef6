// The participant's page: join with the code, follow the shown question, vote, see the vote counted.
// All text comes from the server already escaped (math as MathML); messages go in as textContent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let code = (params.get("code") || "").trim().toUpperCase();
  let token = code ? localStorage.getItem("learnathon-live:" + code) : null;
  let snapshot = null;
  let mine = {};          // question id -> my counted options
  let picked = new Set(); // choices not yet sent (questions with several correct options)
  let stream = null;

  async function api(path, body) {
    const headers = {"Content-Type": "application/json"};
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(path, body === undefined ? {headers} :
      {method: "POST", headers, body: JSON.stringify(body)});
    let data = {};
    try { data = await response.json(); } catch (e) { data = {error: "unexpected answer from the server"}; }
    if (!response.ok) { const error = new Error(data.error || response.statusText); error.status = response.status; throw error; }
    return data;
  }

  function showJoin(message) {
    $("quiz").hidden = true;
    $("join").hidden = false;
    $("code").value = code;
    $("join-error").textContent = message || "";
  }

  async function join() {
    code = $("code").value.trim().toUpperCase() || code;
    try {
      const joined = await api("/api/join", {code});
      token = joined.token;
      localStorage.setItem("learnathon-live:" + code, token);
      history.replaceState(null, "", "/?code=" + encodeURIComponent(code));
      start();
    } catch (error) {
      showJoin(error.message);
      // Many phones joining at once: the server says when to come back; try again by itself.
      if (error.status === 429 || error.status === 503) setTimeout(join, 1000 + Math.random() * 2000);
    }
  }

  async function loadMine() {
    try {
      mine = (await api("/api/me")).votes;
    } catch (error) {
      if (error.status === 401) { forget(error.message); }
    }
  }

  // The session no longer knows this phone (restarted as a new session): join again.
  function forget(message) {
    localStorage.removeItem("learnathon-live:" + code);
    token = null;
    if (stream) stream.close();
    showJoin(message);
  }

  function start() {
    $("join").hidden = true;
    $("quiz").hidden = false;
    loadMine().then(render);
    if (stream) stream.close();
    stream = new EventSource("/api/events?token=" + encodeURIComponent(token));
    stream.addEventListener("state", (event) => {
      $("connection").textContent = "";
      const next = JSON.parse(event.data);
      if (next.code !== code) { forget("This session has ended; join the new one with its code."); return; }
      const moved = !snapshot || snapshot.question.id !== next.question.id;
      snapshot = next;
      if (moved) picked = new Set();
      render();
    });
    stream.onerror = () => {
      $("connection").textContent = "Connection lost, reconnecting…";
      loadMine();  // a 401 here means the session was replaced: back to the join form
    };
  }

  function render() {
    if (!snapshot || !token) return;
    const q = snapshot.question, state = snapshot.state;
    const counted = mine[q.id] || [];
    $("progress").textContent = "Question " + (q.index + 1) + " of " + q.total;
    $("status").textContent = state.voting_open ? (q.max_selections > 1 ? "Voting is open: choose up to " + q.max_selections + " options" : "Voting is open: tap your answer")
      : state.revealed ? "The answer" : counted.length ? "Voting is closed" : "Waiting for the lecturer to open voting";
    $("question-text").innerHTML = q.html;
    const figure = $("figure");
    if (q.figure) { figure.src = q.figure; figure.alt = q.figure_alt; figure.hidden = false; } else { figure.hidden = true; figure.removeAttribute("src"); }
    const options = $("options");
    options.replaceChildren();
    for (const option of q.options) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "option";
      button.dataset.key = option.key;
      const chosen = picked.size ? picked.has(option.key) : counted.includes(option.key);
      button.setAttribute("aria-pressed", String(chosen));
      button.disabled = !state.voting_open;
      if (state.revealed && q.correct) button.classList.add(q.correct.includes(option.key) ? "correct" : "wrong");
      const key = document.createElement("span");
      key.className = "key";
      key.textContent = option.key;
      const text = document.createElement("span");
      text.className = "text";
      text.innerHTML = option.html;
      button.append(key, text);
      if (state.revealed && option.explanation_html) {
        const explanation = document.createElement("span");
        explanation.className = "option-explanation";
        explanation.innerHTML = option.explanation_html;
        button.append(explanation);
      }
      button.addEventListener("click", () => choose(option.key));
      options.append(button);
    }
    $("send").hidden = !(state.voting_open && q.max_selections > 1);
    $("send").disabled = picked.size === 0;
    $("feedback").textContent = counted.length ? "Your vote counted: " + counted.join(", ") + (state.voting_open ? " (you can change it until voting closes)" : "") : "";
    $("explanation").innerHTML = state.revealed && q.explanation_html ? q.explanation_html : "";
  }

  function choose(key) {
    const q = snapshot.question;
    if (q.max_selections > 1) {
      if (picked.size === 0) picked = new Set(mine[q.id] || []);
      if (picked.has(key)) picked.delete(key); else if (picked.size < q.max_selections) picked.add(key);
      render();
    } else {
      send([key]);
    }
  }

  async function send(keys) {
    const q = snapshot.question;
    $("feedback").textContent = "Sending…";
    try {
      const counted = await api("/api/vote", {question: q.id, options: keys});
      mine[counted.question] = counted.options;
      picked = new Set();
    } catch (error) {
      $("feedback").textContent = error.message;
      if (error.status === 401) forget(error.message);
      return;
    }
    render();
  }

  $("join-button").addEventListener("click", join);
  $("code").addEventListener("keydown", (event) => { if (event.key === "Enter") join(); });
  $("send").addEventListener("click", () => send([...picked]));
  window.learnathonLive = {state: () => snapshot, votes: () => mine};
  if (!code) showJoin(); else if (!token) join(); else start();
})();
