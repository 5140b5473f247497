# ruff: noqa: E501  (an embedded HTML page: its lines are markup, not Python)
"""The review page: one card per item, keyboard shortcuts, each verdict saved as it is made."""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rewardkit audit</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#222}
header{background:#1f2937;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header b{font-size:18px}#progress{margin-left:auto}
main{max-width:980px;margin:20px auto;padding:0 16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:18px 22px}
.meta{color:#555;font-size:14px;margin-bottom:8px}.reason{display:inline-block;background:#fde68a;border-radius:4px;
padding:1px 7px;margin-right:6px;font-size:13px}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f4f6;padding:10px;border-radius:6px;max-height:420px;overflow:auto;
font-size:13px}details pre{max-height:160px}
table{border-collapse:collapse;margin:10px 0}td,th{border:1px solid #ddd;padding:3px 10px;font-size:14px;text-align:right}
td:first-child,th:first-child{text-align:left}.yes{color:#15803d;font-weight:600}.no{color:#b91c1c;font-weight:600}
.buttons{display:flex;gap:10px;margin-top:14px}button{font-size:15px;padding:7px 16px;border-radius:6px;border:1px solid #bbb;
background:#fff;cursor:pointer}button.correct{border-color:#15803d}button.wrong{border-color:#b91c1c}
.verdict{font-size:15px;font-weight:600}.verdict.correct{color:#15803d}.verdict.wrong{color:#b91c1c}.verdict.skip{color:#666}
#status{color:#555;font-size:13px;margin-top:8px}kbd{background:#eee;border:1px solid #ccc;border-radius:3px;padding:0 4px}
</style></head><body>
<header><b>rewardkit audit</b><span id="source"></span><span id="progress"></span></header>
<main><div class="card" id="card">loading...</div>
<div id="status"></div>
<p class="meta">Is the completion correct? <kbd>c</kbd> correct, <kbd>w</kbd> wrong, <kbd>s</kbd> skip,
<kbd>&larr;</kbd>/<kbd>k</kbd> previous, <kbd>&rarr;</kbd>/<kbd>j</kbd> next. Every verdict is saved at once to audit.jsonl.</p>
</main>
<script>
let cards = [], verdicts = {}, pos = 0;
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const fmt = v => v === null || v === undefined ? "-" : (typeof v === "number" ? (Math.round(v * 1e4) / 1e4) : String(v));
function firstOpen() { const i = cards.findIndex(c => !(c.item in verdicts)); return i < 0 ? Math.max(0, cards.length - 1) : i; }
function render() {
  const done = cards.filter(c => c.item in verdicts).length;
  document.getElementById("progress").textContent = `card ${cards.length ? pos + 1 : 0} of ${cards.length} \u00b7 ${done} decided`;
  const el = document.getElementById("card");
  if (!cards.length) { el.textContent = "Nothing to review: no item disagrees or sits near a threshold."; return; }
  const c = cards[pos], v = verdicts[c.item];
  const rows = c.scores.map(s => `<tr><td>${esc(s.column)}</td><td>${fmt(s.value)}</td><td>${fmt(s.threshold)}</td>` +
    `<td class="${s.says === null ? "" : (s.says ? "yes" : "no")}">${s.says === null ? esc(s.status || "-") : (s.says ? "yes" : "no")}</td></tr>`).join("");
  el.innerHTML = `<div class="meta">item ${c.item} \u00b7 row ${c.row + 1} \u00b7 label: <b>${c.label === null ? "none" : c.label}</b> ` +
    c.reasons.map(r => `<span class="reason">${esc({label: "disagrees with the label", rewards: "rewards disagree", near: "near a threshold"}[r] || r)}</span>`).join("") + `</div>` +
    (c.prompt ? `<details><summary>prompt</summary><pre>${esc(c.prompt)}</pre></details>` : "") +
    `<pre id="completion">${esc(c.completion)}</pre>` +
    `<table><tr><th>reward</th><th>score</th><th>threshold</th><th>says</th></tr>${rows}</table>` +
    `<div class="verdict ${v || ""}" id="verdict">${v ? "your verdict: " + v : "no verdict yet"}</div>` +
    `<div class="buttons"><button class="correct" onclick="decide('correct')">correct (c)</button>` +
    `<button class="wrong" onclick="decide('wrong')">wrong (w)</button><button onclick="decide('skip')">skip (s)</button>` +
    `<button onclick="move(-1)">&larr; prev</button><button onclick="move(1)">next &rarr;</button></div>`;
}
function move(d) { pos = Math.min(cards.length - 1, Math.max(0, pos + d)); render(); }
async function decide(verdict) {
  if (!cards.length) return;
  const item = cards[pos].item;
  const st = document.getElementById("status");
  try {
    const r = await fetch("/api/verdict", {method: "POST", headers: {"Content-Type": "application/json"},
                                           body: JSON.stringify({item, verdict})});
    if (!r.ok) throw new Error(await r.text());
    verdicts[item] = verdict;
    st.textContent = `saved: item ${item} ${verdict}`;
    if (pos < cards.length - 1) pos += 1;
    render();
  } catch (e) { st.textContent = "NOT saved: " + e; }
}
document.addEventListener("keydown", e => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  if (k === "c" || k === "y") decide("correct");
  else if (k === "w" || k === "n") decide("wrong");
  else if (k === "s") decide("skip");
  else if (k === "ArrowRight" || k === "j") move(1);
  else if (k === "ArrowLeft" || k === "k") move(-1);
});
fetch("/api/queue").then(r => r.json()).then(d => {
  cards = d.cards; verdicts = d.verdicts; pos = firstOpen();
  document.getElementById("source").textContent = d.source;
  document.body.dataset.ready = "1";
  render();
});
</script></body></html>
"""
