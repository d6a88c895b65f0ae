// The quiz page: editor tabs, TEST RUN / SUBMIT ANSWER / RESET QUIZ, autosave, past attempts.
// Everything shown comes from JSON and goes into the page as text (never as HTML), so a program
// that prints <script> shows exactly that.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

async function call(method, url, body) {
  const options = { method, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" } };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch (e) { /* an empty or non-JSON answer */ }
  return { status: response.status, data };
}

function mark(check) {
  if (check.carried_forward) return "✓* right given your earlier values";
  return check.passed ? "✓ right" : "✗ wrong";
}

function fmt(x) { return Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100); }

// --- results --------------------------------------------------------------------------------

function renderResult(result) {
  const box = el("div", { class: "result" });
  if (result.error) {
    box.append(el("p", { class: "bad", role: "alert", text: "✗ " + result.error }));
    return box;
  }
  const visible = result.checks.filter((c) => c.visible);
  const run = result.runs.find((r) => r.visible);
  if (result.kind === "submit") {
    box.append(el("p", { class: "verdict" + (result.full_marks ? " full" : ""),
                         text: `Score: ${fmt(result.score)}/${fmt(result.max_score)}` }));
    box.append(el("p", { class: "verdict" + (result.full_marks ? " full" : ""),
                         text: result.verdict }));
  }
  box.append(el("h3", { text: "Your program's output (published values)" }));
  box.append(el("pre", { class: "out", text: run && run.output ? run.output : "(no output)" }));
  const problems = result.runs.filter((r) => r.problem);
  if (problems.length) {
    box.append(el("h3", { text: "How it ran" }));
    box.append(el("ul", {}, ...problems.map((r) => el("li", { text: `${r.case}: ${r.problem}` }))));
  }
  box.append(el("h3", { text: "Visible checks (the published given values)" }));
  const table = el("table", { class: "grid checks" },
    el("caption", { text: "Each quantity on the published values" }),
    el("thead", {}, el("tr", {}, ...["Result", "Quantity", "Expected", "Received", "Note"].map(
      (h) => el("th", { scope: "col", text: h })))));
  const body = el("tbody");
  for (const c of visible) {
    const note = c.mistake ? `${c.mistake}: ${c.hint}` : (!c.passed || c.carried_forward ? c.message : "");
    body.append(el("tr", { class: c.passed ? "pass" : "fail" },
      el("td", { text: mark(c) }), el("td", {}, el("code", { text: c.quantity })),
      el("td", {}, el("code", { text: c.expected })), el("td", {}, el("code", { text: c.received })),
      el("td", { text: note })));
  }
  table.append(body);
  box.append(table);
  if (result.kind === "submit") box.append(renderHidden(result));
  else if (visible.length) {
    const passed = visible.filter((c) => c.passed).length;
    box.append(el("p", { text: `${passed} of ${visible.length} visible checks pass. SUBMIT ANSWER also runs hidden cases with other given values.` }));
  }
  return box;
}

function renderHidden(result) {
  const wrap = el("div");
  const cases = [...new Set(result.checks.map((c) => c.case))];
  const quantities = [...new Set(result.checks.map((c) => c.quantity))];
  const by = new Map(result.checks.map((c) => [c.quantity + "\u0000" + c.case, c]));
  wrap.append(el("h3", { text: "Every case" }));
  const table = el("table", { class: "grid" },
    el("caption", { text: "Each quantity on the published case and the hidden ones" }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Quantity" }),
      ...cases.map((c) => el("th", { scope: "col", text: c })), el("th", { scope: "col", text: "Points" }))));
  const body = el("tbody");
  for (const q of quantities) {
    const row = cases.map((c) => by.get(q + "\u0000" + c));
    const got = row.reduce((s, c) => s + c.score, 0), worth = row.reduce((s, c) => s + c.max_score, 0);
    body.append(el("tr", {}, el("th", { scope: "row" }, el("code", { text: q })),
      ...row.map((c) => el("td", { class: c.passed ? "ok" : "bad", text: mark(c) })),
      el("td", { text: `${fmt(got)}/${fmt(worth)}` })));
  }
  table.append(body);
  wrap.append(table);
  const feedback = el("ul", { class: "feedback" });
  for (const q of quantities) {
    const failed = cases.map((c) => by.get(q + "\u0000" + c)).filter((c) => !c.passed);
    if (!failed.length) continue;
    const named = failed.find((c) => c.mistake);
    const item = el("li", {}, el("strong", { text: `✗ ${q}: ` }),
      named ? `${named.mistake}. ${named.hint}` : "wrong (no known mistake matches)");
    item.append(el("div", { class: "muted", text: "wrong in: " + failed.map((c) => c.case).join(", ") }));
    feedback.append(item);
  }
  if (feedback.children.length) wrap.append(el("h3", { text: "Feedback" }), feedback);
  return wrap;
}

function renderAttempt(a) {
  const score = a.score == null ? a.status : `${fmt(a.score)}/${fmt(a.max_score)}`;
  const details = el("details", {}, el("summary", { text: `#${a.submission} · ${a.submitted_at} · ${score}${a.verdict ? " · " + a.verdict : ""}` }));
  if (a.result) details.append(renderResult(a.result));
  return el("li", {}, details);
}

// --- the page ---------------------------------------------------------------------------------

function setupQuiz() {
  const data = JSON.parse(document.getElementById("quiz-data").textContent);
  const user = JSON.parse(document.getElementById("quiz-user").textContent);
  const key = `gdlab:${user}:${data.exercise}`;
  const status = document.getElementById("status");
  const resultBox = document.getElementById("result");
  const saved = document.getElementById("saved");
  const base = `/api/exercises/${encodeURIComponent(data.exercise)}`;

  let local = null;
  try { local = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { local = null; }
  let code = data.stub;
  if (data.draft) code = data.draft.code;
  if (local && (!data.draft || local.t / 1000 > data.draft.saved_at)) code = local.code;
  let dirty = local && (!data.draft || local.code !== data.draft.code);

  const tabs = document.getElementById("tabs"), panels = document.getElementById("panels");
  const files = [{ name: data.script, text: code, main: true },
                 ...data.files.map((f) => ({ ...f, readOnly: true }))];
  if (data.solution) files.push({ name: "solution.py", text: data.solution, readOnly: true });
  let editor = null;
  const tabButtons = [];
  files.forEach((file, i) => {
    const id = `panel-${i}`;
    const tab = el("button", { role: "tab", id: `tab-${i}`, "aria-controls": id, type: "button",
                               "aria-selected": i === 0 ? "true" : "false", tabindex: i === 0 ? "0" : "-1",
                               text: file.name + (file.readOnly ? " (read-only)" : "") });
    const panel = el("div", { role: "tabpanel", id, "aria-labelledby": `tab-${i}`, class: "panel" });
    if (i !== 0) panel.hidden = true;
    tabs.append(tab);
    panels.append(panel);
    tabButtons.push(tab);
    const options = { readOnly: !!file.readOnly, label: file.name + (file.readOnly ? ", read-only" : ", your answer"),
                      onChange: file.main ? changed : null };
    let made;
    if (window.GDLabEditor) made = window.GDLabEditor.create(panel, file.text, options);
    else {  // the editor bundle did not load: a plain text area still works
      const area = el("textarea", { "aria-label": options.label, spellcheck: "false" });
      area.value = file.text;
      area.readOnly = !!file.readOnly;
      if (file.main) area.addEventListener("input", () => changed(area.value));
      panel.append(area);
      made = { get: () => area.value, set: (v) => { area.value = v; }, focus: () => area.focus() };
    }
    if (file.main) {
      editor = made;
      window.gdlabEditor = made; // for tests and assistive tools: get(), set(text), focus()
    }
    tab.addEventListener("click", () => select(i));
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const next = (i + (e.key === "ArrowRight" ? 1 : files.length - 1)) % files.length;
        select(next);
        tabButtons[next].focus();
      }
    });
  });
  function select(i) {
    tabButtons.forEach((t, j) => {
      t.setAttribute("aria-selected", j === i ? "true" : "false");
      t.tabIndex = j === i ? 0 : -1;
      panels.children[j].hidden = j !== i;
    });
  }

  function changed(text) {
    dirty = true;
    localStorage.setItem(key, JSON.stringify({ code: text, t: Date.now() }));
  }
  async function autosave() {
    if (!dirty) return;
    dirty = false;
    const text = editor.get();
    const { status: code } = await call("POST", `${base}/draft`, { code: text }).catch(() => ({ status: 0 }));
    if (code === 200) saved.textContent = "Saved " + new Date().toLocaleTimeString();
    else { dirty = true; saved.textContent = "Not saved to the server yet (kept in this browser)"; }
  }
  setInterval(autosave, 3000);
  window.addEventListener("pagehide", () => {
    if (dirty) navigator.sendBeacon && fetch(`${base}/draft`, { method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() }, body: JSON.stringify({ code: editor.get() }) });
  });

  const buttons = ["run", "submit", "reset"].map((id) => document.getElementById(id));
  async function job(kind, body) {
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = kind === "run" ? "Running your program…" : "Submitting…";
    resultBox.replaceChildren();
    try {
      let { status: code, data: answer } = await call("POST", `${base}/${kind}?wait=2`, body);
      while (code === 202 || code === 200) {
        if (answer.state === "done") break;
        status.textContent = answer.state === "queued" ? `Queued: position ${answer.position}` : "Grading…";
        ({ status: code, data: answer } = await call("GET", `/api/jobs/${answer.job}?wait=2`));
      }
      if (code === 429) {
        status.textContent = "";
        resultBox.append(el("p", { class: "bad", role: "alert", text: "✗ " + answer.error }));
        return;
      }
      if (code >= 400) {
        status.textContent = "";
        resultBox.append(el("p", { class: "bad", role: "alert", text: "✗ " + (answer.error || `error ${code}`) }));
        return;
      }
      const r = answer.result;
      if (r.error) status.textContent = "Not graded: " + r.error;
      else if (kind === "run") {
        const visible = r.checks.filter((c) => c.visible);
        status.textContent = `TEST RUN done: ${visible.filter((c) => c.passed).length} of ${visible.length} visible checks right.`;
      } else status.textContent = `SUBMIT graded: score ${fmt(r.score)}/${fmt(r.max_score)}. ${r.verdict}`;
      resultBox.append(renderResult(answer.result));
      if (kind === "submit") {
        const list = document.getElementById("attempts");
        list.prepend(renderAttempt({ submission: answer.submission, submitted_at: "just now",
          status: "graded", score: answer.result.score, max_score: answer.result.max_score,
          verdict: answer.result.verdict, result: answer.result }));
      }
    } catch (e) {
      status.textContent = "The server did not answer: your code is kept in this browser; try again.";
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }
  document.getElementById("run").addEventListener("click", () => job("run", { code: editor.get(), filename: data.script }));
  document.getElementById("submit").addEventListener("click", async () => {
    await autosave();
    job("submit", { code: editor.get(), filename: data.script });
  });
  document.getElementById("reset").addEventListener("click", async () => {
    if (!window.confirm("Reset the quiz to the original stub? Your past SUBMITs stay.")) return;
    const { status: code, data: answer } = await call("POST", `${base}/reset`);
    if (code !== 200) return;
    editor.set(answer.code);
    localStorage.setItem(key, JSON.stringify({ code: answer.code, t: Date.now() }));
    dirty = false;
    status.textContent = "The quiz is back to the stub.";
    resultBox.replaceChildren();
  });
  document.getElementById("upload").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("upload-file");
    if (!input.files.length) { status.textContent = "Choose a file first."; return; }
    const form = new FormData();
    form.append("file", input.files[0]);
    job("submit", form);
  });
  const list = document.getElementById("attempts");
  for (const a of data.attempts) list.append(renderAttempt(a));
}

function setupAttempt() {
  const a = JSON.parse(document.getElementById("attempt-data").textContent);
  const box = document.getElementById("result");
  if (a.result) box.append(renderResult(a.result));
  else box.append(el("p", { text: `This SUBMIT is ${a.status}.` }));
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("quiz-data")) setupQuiz();
  else if (document.getElementById("attempt-data")) setupAttempt();
});
