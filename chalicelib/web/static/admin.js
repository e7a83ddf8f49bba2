// The owner console's shell: the session and the programs list. The editor, the
// statistics, members and staff parts are modules of their own, set up here.
import { api, errorText, el } from "/static/api.js";
import { initEditor, openProgram } from "/static/admin-editor.js";
import * as members from "/static/admin-members.js";
import * as staff from "/static/admin-staff.js";
import * as stats from "/static/admin-stats.js";

const SESSION = "loyalty.console.session";
const $ = (id) => document.getElementById(id);

let session = null;
try { session = JSON.parse(sessionStorage.getItem(SESSION)); } catch { session = null; }

const call = (path, options = {}) => api(path, { ...options, token: session?.token }).catch(() => ({
  ok: false, status: 0, data: { error: { message: "No connection: try again when the network is back." } } }));

function showScreen() {
  const inside = session && Date.parse(session.expires_at) > Date.now();
  $("login").classList.toggle("hidden", inside);
  $("console").classList.toggle("hidden", !inside);
  if (!inside) return;
  $("who").textContent = `${session.staff.email} (${session.staff.role})`;
  loadPrograms();
  staff.load();
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
    el("button", { type: "button", class: "secondary", "aria-label": `Stats of ${p.name}`, onclick: () => stats.show(p) }, "Stats"),
    el("button", { type: "button", class: "secondary", "aria-label": `Members CSV of ${p.name}`, onclick: () => members.exportMembers(p) }, "Members CSV"))));
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

$("new-program").addEventListener("click", () => openProgram(null));
initEditor({ call, onSaved: () => loadPrograms() });

const parts = { call, me: () => session?.staff };
for (const part of [members, staff, stats]) part.setup(parts);
showScreen();
