// The console's staff and safety: accounts (add, edit role, location and daily caps,
// reset a password, revoke) and today's unusual stamping, with each account's actions.
import { el, errorText } from "/static/api.js";
import { ask } from "/static/admin-dialog.js";
import { TYPES, entryWords, openMemberById, when } from "/static/admin-members.js";

const $ = (id) => document.getElementById(id);
let ctx = null; // { call, me } from the shell
let editing = null; // the account in the edit form
let actionsOf = null; // { staff_id, name } whose actions are listed
let actionsCursor = null;

export function setup(context) {
  ctx = context;
  $("staff-form").addEventListener("submit", addStaff);
  $("staff-edit").addEventListener("submit", saveEdit);
  $("staff-reset").addEventListener("click", resetPassword);
  $("staff-edit-close").addEventListener("click", closeEdit);
  $("staff-actions-more").addEventListener("click", () => loadActions(false));
}

// What the API lets the caller manage: a manager the baristas, an owner everyone (not themselves).
const manages = (s) => s.staff_id !== ctx.me().staff_id && (ctx.me().role === "owner" || (ctx.me().role === "manager" && s.role === "barista"));

export async function load() {
  await Promise.all([loadStaff(), loadAlerts()]);
}

async function loadStaff() {
  const result = await ctx.call("/v1/staff?limit=100");
  if (!result.ok) { $("staff").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "error" }, errorText(result)))); return; }
  $("staff").replaceChildren(...result.data.items.map((s) => el("tr", {},
    el("td", {}, s.name), el("td", { class: "email" }, s.email), el("td", {}, s.role),
    el("td", { class: "buttons" }, s.staff_id === ctx.me().staff_id ? el("span", { class: "note" }, "you")
      : manages(s) ? [
        el("button", { type: "button", class: "secondary", "aria-label": `Edit ${s.name}`, onclick: () => openEdit(s) }, "Edit"),
        el("button", { type: "button", class: "danger", "aria-label": `Revoke ${s.name}`, onclick: () => revoke(s) }, "Revoke")]
        : null))));
}

async function revoke(account) {
  const yes = await ask({
    title: `Revoke ${account.name}?`,
    text: `Revoke ${account.name}'s access? Every device they are signed in on is signed out at once, and their email and password stop working. Their past actions stay in the ledger.`,
    action: `Revoke ${account.name}`,
  });
  if (!yes) return;
  const result = await ctx.call(`/v1/staff/${encodeURIComponent(account.staff_id)}`, { method: "DELETE" });
  $("staff-error").textContent = result.ok ? "" : errorText(result);
  if (editing?.staff_id === account.staff_id) closeEdit();
  loadStaff();
}

async function addStaff(event) {
  event.preventDefault();
  const role = $("staff-role").value;
  const body = { name: $("staff-name").value.trim(), email: $("staff-email").value.trim(), role };
  if (role === "barista" && $("staff-location").value.trim()) body.location_id = $("staff-location").value.trim();
  for (const [id, field] of [["staff-stamp-cap", "daily_stamp_cap"], ["staff-points-cap", "daily_points_cap"]]) {
    if ($(id).value.trim()) body[field] = Number($(id).value);
  }
  const result = await ctx.call("/v1/staff", { method: "POST", body });
  if (!result.ok) { $("staff-error").textContent = errorText(result); return; }
  $("staff-error").textContent = "";
  $("staff-created").textContent = `${result.data.name} can sign in with the password ${result.data.password} (shown once: note it now).`;
  event.target.reset();
  loadStaff();
}

// ---- edit ------------------------------------------------------------------------------
function openEdit(account) {
  editing = account;
  $("staff-edit-title").textContent = `Edit ${account.name}`;
  // Only the roles the caller may give (a manager: barista).
  for (const option of $("edit-role").options) option.disabled = ctx.me().role !== "owner" && option.value !== "barista";
  $("edit-role").value = account.role;
  $("edit-location").value = account.location_id ?? "";
  $("edit-stamp-cap").value = account.daily_stamp_cap ?? "";
  $("edit-points-cap").value = account.daily_points_cap ?? "";
  $("staff-edit-error").textContent = "";
  $("staff-edit-status").textContent = "";
  $("staff-edit").classList.remove("hidden");
  $("edit-role").focus();
}

function closeEdit() {
  editing = null;
  $("staff-edit").classList.add("hidden");
}

async function saveEdit(event) {
  event.preventDefault();
  const number = (id) => ($(id).value.trim() ? Number($(id).value) : null); // empty: no cap
  const body = {
    location_id: $("edit-location").value.trim() || null,
    daily_stamp_cap: number("edit-stamp-cap"),
    daily_points_cap: number("edit-points-cap"),
  };
  if ($("edit-role").value !== editing.role) body.role = $("edit-role").value;
  const result = await ctx.call(`/v1/staff/${encodeURIComponent(editing.staff_id)}`, { method: "PATCH", body });
  if (!result.ok) { $("staff-edit-error").textContent = errorText(result); return; }
  editing = result.data;
  $("staff-edit-error").textContent = "";
  const caps = [editing.daily_stamp_cap && `${editing.daily_stamp_cap} stamps`, editing.daily_points_cap && `${editing.daily_points_cap} points`].filter(Boolean);
  $("staff-edit-status").textContent = `Saved: ${editing.name} is a ${editing.role}${editing.location_id ? ` at ${editing.location_id}` : ""}, ${caps.length ? `at most ${caps.join(" and ")} a day` : "with no daily cap"}.`;
  loadStaff();
}

async function resetPassword() {
  const account = editing;
  const yes = await ask({
    title: `Reset ${account.name}'s password?`,
    text: `Reset ${account.name}'s password? They are signed out on every device, their old password stops working, and the new one is shown here once.`,
    action: "Reset password",
  });
  if (!yes) return;
  const result = await ctx.call(`/v1/staff/${encodeURIComponent(account.staff_id)}/password`, { method: "POST" });
  if (!result.ok) { $("staff-edit-error").textContent = errorText(result); return; }
  $("staff-edit-error").textContent = "";
  $("staff-edit-status").replaceChildren(`${account.name}'s new password: `, el("code", { id: "new-password" }, result.data.password),
    " (shown once: give it to them now).");
}

// ---- alerts and an account's actions ----------------------------------------------------------
async function loadAlerts() {
  const result = await ctx.call("/v1/alerts");
  if (!result.ok) { $("alerts").replaceChildren(el("li", { class: "error" }, errorText(result))); return; }
  $("alerts").replaceChildren(...(result.data.items.length ? result.data.items.map((a) => {
    const name = a.name ?? "A closed account";
    const usual = a.ratio === null ? "no usual day yet" : `usually ${a.usual_stamps} a day: ${a.ratio}× that`;
    return el("li", {}, el("strong", {}, name),
      el("span", {}, `${a.today.stamps} stamps today in ${a.today.scans} scans (${usual})`),
      el("button", { type: "button", class: "secondary", "aria-label": `Actions of ${name}`, onclick: () => showActions(a.staff_id, name) }, "Actions"));
  }) : [el("li", { class: "note" }, "Nobody is stamping far above their usual today.")]));
}

async function showActions(staffId, name) {
  actionsOf = { staff_id: staffId, name };
  $("staff-actions-title").textContent = `What ${name} did, newest first`;
  $("staff-actions").classList.remove("hidden");
  await loadActions(true);
  $("staff-actions").focus();
}

async function loadActions(first) {
  if (first) { actionsCursor = null; $("staff-actions-list").replaceChildren(); }
  const path = `/v1/staff/${encodeURIComponent(actionsOf.staff_id)}/transactions?limit=50${actionsCursor ? `&cursor=${encodeURIComponent(actionsCursor)}` : ""}`;
  const result = await ctx.call(path);
  if (!result.ok) { $("staff-actions-list").replaceChildren(el("li", { class: "error" }, errorText(result))); return; }
  actionsCursor = result.data.next_cursor;
  $("staff-actions-more").classList.toggle("hidden", !actionsCursor);
  $("staff-actions-list").append(...result.data.items.map((t) => el("li", { class: t.voided ? "voided" : null },
    el("div", { class: "what" }, el("strong", {}, TYPES[t.type] ?? t.type), " ", entryWords(t), t.voided ? el("span", { class: "badge" }, "Voided") : null),
    el("div", { class: "note" }, `${when(t.created_at)}${t.location_id ? ` at ${t.location_id}` : ""}`),
    t.member_id ? el("button", { type: "button", class: "secondary", "aria-label": `Open member (${t.type}, ${when(t.created_at)})`,
      onclick: () => openMemberById(t.member_id) }, "Open member") : null)));
  if (first && !result.data.items.length) $("staff-actions-list").append(el("li", { class: "note" }, "No actions yet."));
}
