// The owner console: programs (JSON editor with a pass preview), stats chart, staff.
import { api, errorText, el } from "/static/api.js";

const SESSION = "loyalty.console.session";
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const READ_ONLY = ["program_id", "version", "created_at", "updated_at"];
const TEMPLATE = {
  name: "Coffee card", kind: "stamps", stamps: { required: 8, reward: { name: "Free coffee" } },
  design: { background_color: "#7C2D12", foreground_color: "#FFFFFF", logo_text: "My café" },
};

let session = null;
try { session = JSON.parse(sessionStorage.getItem(SESSION)); } catch { session = null; }
let editing = null; // the program being edited, or {} for a new one
let stats = null;

const call = (path, options = {}) => api(path, { ...options, token: session?.token }).catch(() => ({
  ok: false, status: 0, data: { error: { message: "No connection: try again when the network is back." } } }));

function showScreen() {
  const inside = session && Date.parse(session.expires_at) > Date.now();
  $("login").classList.toggle("hidden", inside);
  $("console").classList.toggle("hidden", !inside);
  if (!inside) return;
  $("who").textContent = `${session.staff.email} (${session.staff.role})`;
  loadPrograms();
  loadStaff();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await call("/v1/auth/login", { method: "POST", body: { email: $("login-email").value.trim(), password: $("login-password").value } });
  if (!result.ok) { $("login-error").textContent = errorText(result); return; }
  if (result.data.staff.role === "barista") { $("login-error").textContent = "The console is for managers and owners; baristas use /staff."; return; }
  session = { token: result.data.token, expires_at: result.data.expires_at, staff: result.data.staff };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  showScreen();
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem(SESSION); session = null; showScreen(); });

// ---- programs ----------------------------------------------------------------
async function loadPrograms() {
  const result = await call("/v1/programs?limit=100&include=closed");
  if (!result.ok) { $("programs").replaceChildren(el("li", { class: "error" }, errorText(result))); return; }
  // A staff account's location is one of the programs' locations: offered as you type.
  const places = new Map(result.data.items.flatMap((p) => (p.locations ?? []).map((l) => [l.id, l.name])));
  $("location-ids").replaceChildren(...[...places].map(([id, name]) => el("option", { value: id }, name)));
  $("programs").replaceChildren(...result.data.items.map((p) => el("li", {},
    el("strong", {}, p.name), el("span", { class: "note" }, p.status === "closed" ? `${p.kind}, closed to new members` : p.kind),
    ...lifeCycleButtons(p),
    el("a", { href: `/join/${p.program_id}` }, "Join page"),
    el("a", { href: `/join/${p.program_id}/poster.png` }, "Poster"),
    el("button", { type: "button", class: "secondary", "aria-label": `Edit ${p.name}`, onclick: () => openProgram(p) }, "Edit"),
    el("button", { type: "button", class: "secondary", "aria-label": `Stats of ${p.name}`, onclick: () => loadStats(p) }, "Stats"),
    el("button", { type: "button", class: "secondary", "aria-label": `Members CSV of ${p.name}`, onclick: () => exportMembers(p) }, "Members CSV"))));
}

// Close or reopen enrolment, and duplicate: the owner's (the API answers a manager 403).
function lifeCycleButtons(p) {
  if (session.staff.role !== "owner") return [];
  const closed = p.status === "closed";
  const status = (text) => { $("programs-status").textContent = text; };
  return [
    el("button", { type: "button", class: "secondary", "aria-label": `${closed ? "Reopen" : "Close"} enrolment of ${p.name}`, onclick: async () => {
      const result = await call(`/v1/programs/${p.program_id}`, { method: "PATCH", body: { status: closed ? "active" : "closed" } });
      status(result.ok ? `${p.name} is ${closed ? "open to new members again" : "closed to new members; its cards keep working"}.` : errorText(result));
      loadPrograms();
    } }, closed ? "Reopen enrolment" : "Close enrolment"),
    el("button", { type: "button", class: "secondary", "aria-label": `Duplicate ${p.name}`, onclick: async () => {
      const result = await call(`/v1/programs/${p.program_id}/copies`, { method: "POST" });
      status(result.ok ? `${result.data.name} made.` : errorText(result));
      loadPrograms();
    } }, "Duplicate"),
  ];
}

function openProgram(program) {
  editing = program;
  const doc = Object.fromEntries(Object.entries(program ?? TEMPLATE).filter(([k]) => !READ_ONLY.includes(k)));
  $("program-json").value = JSON.stringify(doc, null, 2);
  $("editor-title").textContent = program ? `Edit ${program.name}` : "New program";
  $("program-error").textContent = "";
  $("program-links").textContent = "";
  $("editor").classList.remove("hidden");
  preview();
  $("program-json").focus();
}

function preview() {
  let doc;
  try { doc = JSON.parse($("program-json").value); } catch { return; }
  const design = doc.design ?? {};
  const pass = $("preview");
  pass.style.setProperty("--pass-bg", design.background_color ?? "#1F2937");
  pass.style.setProperty("--pass-fg", design.foreground_color ?? "#FFFFFF");
  pass.style.setProperty("--pass-label", design.label_color ?? "inherit");
  const body = [el("div", { class: "logo" }, design.logo_text ?? doc.name ?? ""), el("div", { class: "pname" }, doc.name ?? "")];
  if (doc.kind === "stamps" && doc.stamps) {
    const required = Math.min(50, Number(doc.stamps.required) || 0);
    body.push(el("div", { class: "big" }, `3 / ${required}`),
      el("div", { class: "dots" }, Array.from({ length: required }, (_, i) => el("span", { class: i < 3 ? "dot on" : "dot" }))),
      el("p", {}, `Reward: ${doc.stamps.reward?.name ?? ""}`));
  } else {
    body.push(el("div", { class: "big" }, "120 points"));
  }
  pass.setAttribute("aria-label", `Pass preview: ${doc.name ?? ""}`);
  pass.replaceChildren(...body);
}
$("program-json").addEventListener("input", preview);
$("new-program").addEventListener("click", () => openProgram(null));
$("close-program").addEventListener("click", () => { $("editor").classList.add("hidden"); editing = null; });

$("save-program").addEventListener("click", async () => {
  let doc;
  try { doc = JSON.parse($("program-json").value); } catch (error) {
    $("program-error").textContent = `That is not valid JSON: ${error.message}`;
    return;
  }
  const result = editing
    ? await call(`/v1/programs/${encodeURIComponent(editing.program_id)}`, { method: "PATCH", body: doc })
    : await call("/v1/programs", { method: "POST", body: doc });
  if (!result.ok) { $("program-error").textContent = errorText(result); return; }
  $("program-error").textContent = "";
  const saved = result.data.program ?? result.data;
  editing = saved;
  $("editor-title").textContent = `Edit ${saved.name}`;
  $("program-links").replaceChildren("Saved. ", el("a", { href: `/join/${saved.program_id}`, id: "saved-join" }, "Open its join page"));
  loadPrograms();
});

// ---- stats: a bar chart in plain SVG ------------------------------------------
const day = (d) => d.toISOString().slice(0, 10);
async function loadStats(program) {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86400000);
  $("stats").classList.remove("hidden");
  $("stats-title").textContent = `${program.name}: last 30 days`;
  const result = await call(`/v1/programs/${encodeURIComponent(program.program_id)}/stats?from=${day(from)}&to=${day(to)}`);
  if (!result.ok) { $("stats-error").textContent = errorText(result); return; }
  $("stats-error").textContent = "";
  stats = result.data;
  $("metric").value = program.kind === "points" ? "points_issued" : "stamps_issued";
  drawChart();
  $("stats").scrollIntoView();
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawChart() {
  const metric = $("metric").value;
  const label = $("metric").selectedOptions[0].textContent;
  const days = stats.days;
  // The redemption rate is derived: rewards redeemed per reward unlocked, that day.
  const rate = (d) => (d.rewards_unlocked ? Math.round((100 * d.rewards_redeemed) / d.rewards_unlocked) : 0);
  const values = days.map((d) => (metric === "redemption_rate" ? rate(d) : d[metric] ?? 0));
  const max = Math.max(1, ...values);
  const W = 600, H = 220, left = 36, bottom = 24, top = 10;
  const step = (W - left) / Math.max(1, days.length);
  const sum = (key) => days.reduce((a, d) => a + (d[key] ?? 0), 0);
  const total =
    metric === "redemption_rate"
      ? `${sum("rewards_unlocked") ? Math.round((100 * sum("rewards_redeemed")) / sum("rewards_unlocked")) : 0}% over the period`
      : values.reduce((a, b) => a + b, 0);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${label} by day: ${total} in all, at most ${max} in a day` });
  chart.append(svg("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, stroke: "#6B7280" }));
  chart.append(svg("text", { x: 0, y: top + 8 }, String(max)), svg("text", { x: 0, y: H - bottom }, "0"));
  days.forEach((d, i) => {
    const h = ((H - bottom - top) * values[i]) / max;
    const bar = svg("rect", { class: "bar", x: left + i * step + 1, y: H - bottom - h, width: Math.max(1, step - 2), height: h });
    bar.append(svg("title", {}, `${d.day}: ${values[i]}`));
    chart.append(bar);
    if (i % 7 === 0) chart.append(svg("text", { x: left + i * step, y: H - 6 }, d.day.slice(5)));
  });
  $("chart").replaceChildren(chart);
}
$("metric").addEventListener("change", () => stats && drawChart());

$("export-stats").addEventListener("click", () => {
  if (!stats?.days.length) return;
  const columns = Object.keys(stats.days[0]);
  const csv = [columns.join(","), ...stats.days.map((d) => columns.map((c) => d[c]).join(","))].join("\n");
  const link = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `stats-${stats.program_id}.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
});

// ---- CSV exports: every page of a list, then one download ------------------------
// A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one).
// It may also split a cell at a separator other than ours (; in a French Excel, a
// tab, a |), so a formula character is neutralised with ' at the start and after
// any of them: "x;=2+5" is written "x;'=2+5". Such cells are quoted as well.
function cell(value) {
  let text = (value === null || value === undefined ? "" : String(value))
    .replace(/(^|[,;\t|\r\n])([ \t\r]*)(?=[=+\-@])/g, "$1$2'");
  if (/^[\t\r]/.test(text)) text = `'${text}`;
  return /[",;\t|\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function download(name, header, rows) {
  const csv = [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
  const link = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

async function allPages(path, status) {
  const items = [];
  let cursor = null;
  do {
    const result = await call(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (!result.ok) throw new Error(errorText(result));
    items.push(...result.data.items);
    cursor = result.data.next_cursor;
    status.textContent = `${items.length} rows…`;
  } while (cursor);
  return items;
}

async function exportMembers(program) {
  const status = $("programs-status");
  status.textContent = "";
  try {
    const rows = await allPages(`/v1/programs/${encodeURIComponent(program.program_id)}/members`, status);
    // marketing_consent: whom an offer may be sent to (erasure withdraws it).
    download(`members-${program.program_id}.csv`, ["name", "email", "stamps", "points", "tier", "rewards", "created_at", "marketing_consent"],
      rows.map((m) => [m.name, m.email, m.balances.stamps, m.balances.points, m.tier, m.rewards.map((r) => r.name).join("; "), m.created_at,
        m.consent.marketing]));
    status.textContent = `Members of ${program.name}: ${rows.length} exported.`;
  } catch (error) {
    status.textContent = `Members of ${program.name}: ${error.message}`;
  }
}

// The member's ledger, every page; an email may match one member in each program.
// `stamps`/`points` are the balance's net change, `*_added` what was given (ten
// stamps that fill a ten-stamp card: stamps 0, stamps_added 10); the later columns
// were added after the first ten, so that scripts reading by position still work.
const LEDGER = ["member_id", "program_id", "transaction_id", "type", "stamps", "points", "created_at", "staff_id", "location_id", "voided",
  "staff_name", "stamps_added", "points_added", "rewards_unlocked", "reward_redeemed", "voids"];
const ledgerRow = (m, t, names) => [m.member_id, m.program_id, t.transaction_id, t.type, t.stamps, t.points, t.created_at, t.staff_id,
  t.location_id, t.voided, t.staff_id ? names.get(t.staff_id) ?? "" : "", t.stamps_added ?? "", t.points_added ?? "",
  (t.rewards_unlocked ?? []).map((r) => r.name).join("; "), t.reward?.name ?? "", t.voids ?? ""];
$("ledger-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("ledger-status");
  const wanted = $("ledger-member").value.trim();
  status.textContent = "";
  try {
    let found;
    if (wanted.includes("@")) {
      const result = await call(`/v1/members?email=${encodeURIComponent(wanted)}`);
      if (!result.ok) throw new Error(errorText(result));
      found = result.data.items;
    } else {
      const result = await call(`/v1/members/${encodeURIComponent(wanted)}`);
      if (!result.ok) throw new Error(errorText(result));
      found = [result.data];
    }
    if (!found.length) throw new Error("no member with that email.");
    // Staff names by id: a closed account is no longer listed, its name is left blank.
    const names = new Map((await allPages("/v1/staff", status)).map((s) => [s.staff_id, s.name]));
    const rows = [];
    for (const m of found) {
      const items = await allPages(`/v1/members/${encodeURIComponent(m.member_id)}/transactions`, status);
      rows.push(...items.map((t) => ledgerRow(m, t, names)));
    }
    download(`ledger-${found.length === 1 ? found[0].member_id : "members"}.csv`, LEDGER, rows);
    status.textContent = `Ledger: ${rows.length} entries exported.`;
  } catch (error) {
    status.textContent = `Ledger: ${error.message}`;
  }
});

// ---- staff ---------------------------------------------------------------------
async function loadStaff() {
  const result = await call("/v1/staff?limit=100");
  if (!result.ok) { $("staff").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "error" }, errorText(result)))); return; }
  $("staff").replaceChildren(...result.data.items.map((s) => el("tr", {},
    el("td", {}, s.name), el("td", {}, s.email), el("td", {}, s.role),
    el("td", {}, s.staff_id === session.staff.staff_id ? el("span", { class: "note" }, "you")
      : el("button", { type: "button", class: "danger", "aria-label": `Revoke ${s.name}`, onclick: () => revoke(s) }, "Revoke")))));
}

async function revoke(member) {
  if (!window.confirm(`Revoke ${member.name}'s access? Their devices are signed out at once.`)) return;
  const result = await call(`/v1/staff/${encodeURIComponent(member.staff_id)}`, { method: "DELETE" });
  $("staff-error").textContent = result.ok ? "" : errorText(result);
  loadStaff();
}

$("staff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const role = $("staff-role").value;
  const body = { name: $("staff-name").value.trim(), email: $("staff-email").value.trim(), role };
  if (role === "barista" && $("staff-location").value.trim()) body.location_id = $("staff-location").value.trim();
  for (const [id, field] of [["staff-stamp-cap", "daily_stamp_cap"], ["staff-points-cap", "daily_points_cap"]]) {
    if ($(id).value.trim()) body[field] = Number($(id).value);
  }
  const result = await call("/v1/staff", { method: "POST", body });
  if (!result.ok) { $("staff-error").textContent = errorText(result); return; }
  $("staff-error").textContent = "";
  $("staff-created").textContent = `${result.data.name} can sign in with the password ${result.data.password} (shown once: note it now).`;
  event.target.reset();
  loadStaff();
});

showScreen();
