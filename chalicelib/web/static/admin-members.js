// The console's members: search (email, card number or barcode), a member's page
// (balances, rewards, the ledger with who, where and why), void, the card by email,
// erasure, and the members' and ledgers' CSV exports.
import { el, errorText, newKey } from "/static/api.js";
import { allPages, download } from "/static/admin-csv.js";
import { ask } from "/static/admin-dialog.js";

const $ = (id) => document.getElementById(id);
let ctx = null; // { call, me } from the shell
let current = null; // the member shown
let ledgerCursor = null;
let ledgerItems = [];
let programNames = new Map();

export function setup(context) {
  ctx = context;
  $("member-search").addEventListener("submit", (event) => { event.preventDefault(); search($("member-query").value.trim()); });
  $("member-resend").addEventListener("click", resend);
  $("member-erase").addEventListener("click", erase);
  $("member-export").addEventListener("click", () => current && exportLedgers([current], $("member-action-status")));
  $("member-ledger-more").addEventListener("click", () => loadLedger(false));
  $("ledger-form").addEventListener("submit", exportLedgerForm);
}

// ---- words ---------------------------------------------------------------------------
export const TYPES = { stamp: "Stamps", purchase: "Purchase", redemption: "Redemption", void: "Void", welcome: "Welcome gift",
  birthday: "Birthday treat", expiry: "Expiry", adjustment: "Adjustment" };
const plural = (n, word) => `${n} ${word}${Math.abs(n) === 1 ? "" : "s"}`;
const signed = (n, word) => `${n > 0 ? "+" : ""}${plural(n, word)}`;
export const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
const groups = (number) => (number ? number.match(/.{1,4}/g).join(" ") : "not read yet");
const nameOf = (m) => m.name ?? "Erased member";

// What an entry did, in words: what it gave and what it changed.
export function entryWords(t) {
  const parts = [];
  if (t.stamps_added) parts.push(`gave ${plural(t.stamps_added, "stamp")}`);
  if (t.points_added) parts.push(`gave ${plural(t.points_added, "point")}`);
  if (t.stamps && t.stamps !== t.stamps_added) parts.push(`balance ${signed(t.stamps, "stamp")}`);
  if (t.points && t.points !== t.points_added) parts.push(`balance ${signed(t.points, "point")}`);
  for (const r of t.rewards_unlocked ?? []) parts.push(`unlocked ${r.name}`);
  if (t.reward) parts.push(`${t.type === "void" ? "gave back" : "redeemed"} ${t.reward.name}`);
  return parts.join(", ") || "no change";
}

export function who(t) {
  if (!t.staff_id) return t.type === "welcome" ? "at enrolment" : "automatically";
  const by = `by ${t.staff_name ?? "a closed account"}`;
  return t.location_id ? `${by} at ${t.location_id}` : by;
}

// ---- search ------------------------------------------------------------------------
async function programName(programId) {
  if (!programNames.has(programId)) {
    const result = await ctx.call("/v1/programs?limit=100");
    if (result.ok) programNames = new Map(result.data.items.map((p) => [p.program_id, p.name]));
  }
  return programNames.get(programId) ?? "";
}

async function search(query) {
  const status = $("member-status");
  status.textContent = "Searching…";
  $("member-results").replaceChildren();
  hideMember();
  let found;
  if (query.includes("@")) {
    const result = await ctx.call(`/v1/members?email=${encodeURIComponent(query)}`);
    if (!result.ok) { status.textContent = errorText(result); return; }
    found = result.data.items;
  } else {
    // As the counter reads it: up to 12 symbols once spaces and dashes are gone is a
    // card number (the server reads case and look-alikes), anything longer a barcode.
    const body = query.replace(/[\s-]/g, "").length <= 12 ? { card_number: query } : { barcode: query };
    const result = await ctx.call("/v1/scans", { method: "POST", body });
    if (!result.ok) { status.textContent = errorText(result); return; }
    found = [result.data];
  }
  if (!found.length) { status.textContent = `No member with the address ${query}.`; return; }
  status.textContent = found.length === 1 ? "" : `${found.length} members, one per program:`;
  if (found.length === 1) { openMember(found[0]); return; }
  const items = [];
  for (const m of found) {
    items.push(el("li", {}, el("strong", {}, nameOf(m)), el("span", { class: "note" }, await programName(m.program_id)),
      el("button", { type: "button", class: "secondary", "aria-label": `Open ${nameOf(m)} in ${await programName(m.program_id)}`, onclick: () => openMember(m) }, "Open")));
  }
  $("member-results").replaceChildren(...items);
}

// ---- the member's page ----------------------------------------------------------------
function hideMember() {
  current = null;
  $("member").classList.add("hidden");
}

export async function openMemberById(memberId) {
  const result = await ctx.call(`/v1/members/${encodeURIComponent(memberId)}`);
  if (!result.ok) { $("member-status").textContent = errorText(result); $("members").scrollIntoView(); return; }
  $("member-results").replaceChildren();
  $("member-status").textContent = "";
  await openMember(result.data);
}

export async function openMember(member) {
  current = member;
  $("member-action-status").textContent = "";
  await drawMember();
  $("member").classList.remove("hidden");
  $("member").focus();
  await loadLedger(true);
}

async function drawMember() {
  const m = current;
  $("member-name").textContent = nameOf(m);
  const facts = [
    ["Program", await programName(m.program_id)],
    ["Card number", groups(m.card_number)],
    ["Stamps", String(m.balances.stamps)],
    ["Points", String(m.balances.points)],
    ["Tier", m.tier ?? "none"],
    ["Offers by email", m.consent.marketing ? "yes" : "no"],
  ];
  $("member-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("member-rewards").replaceChildren(...(m.rewards.length
    ? m.rewards.map((r) => el("li", {}, r.name, r.expires_at ? el("span", { class: "note" }, ` until ${when(r.expires_at)}`) : null))
    : [el("li", { class: "note" }, "No reward ready yet.")]));
  $("member-erase").classList.toggle("hidden", ctx.me().role !== "owner");
  $("member-erase").setAttribute("aria-label", `Erase ${nameOf(m)}`);
  $("member-resend").setAttribute("aria-label", `Email the card to ${nameOf(m)}`);
}

async function loadLedger(first) {
  if (first) { ledgerCursor = null; ledgerItems = []; }
  const path = `/v1/members/${encodeURIComponent(current.member_id)}/transactions?limit=20${ledgerCursor ? `&cursor=${encodeURIComponent(ledgerCursor)}` : ""}`;
  const result = await ctx.call(path);
  if (!result.ok) { $("member-ledger").replaceChildren(el("li", { class: "error" }, errorText(result))); return; }
  ledgerItems.push(...result.data.items);
  ledgerCursor = result.data.next_cursor;
  $("member-ledger-more").classList.toggle("hidden", !ledgerCursor);
  drawLedger();
}

function drawLedger() {
  const byId = new Map(ledgerItems.map((t) => [t.transaction_id, t]));
  $("member-ledger").replaceChildren(...(ledgerItems.length ? ledgerItems.map((t) => {
    const undo = t.voided_by ? byId.get(t.voided_by) : null;
    const notes = [];
    if (t.voided) notes.push(el("span", { class: "badge" }, undo?.reason ? `Voided: ${undo.reason}` : "Voided"));
    if (t.type === "void") {
      const original = byId.get(t.voids);
      notes.push(el("span", { class: "note" }, `Reverses ${original ? `the ${TYPES[original.type] ?? original.type} of ${when(original.created_at)}` : "an earlier entry"}${t.reason ? `: ${t.reason}` : ""}`));
    }
    const label = `${TYPES[t.type] ?? t.type}, ${when(t.created_at)}`;
    return el("li", { class: t.voided ? "voided" : null },
      el("div", { class: "what" }, el("strong", {}, TYPES[t.type] ?? t.type), " ", entryWords(t)),
      el("div", { class: "note" }, `${when(t.created_at)} ${who(t)}`),
      notes.length ? el("div", {}, notes) : null,
      t.type !== "void" && !t.voided
        ? el("button", { type: "button", class: "secondary", "aria-label": `Void ${label}`, onclick: () => voidEntry(t) }, "Void")
        : null);
  }) : [el("li", { class: "note" }, "No entries yet.")]));
}

async function voidEntry(t) {
  const what = entryWords(t);
  const back = [];
  if (t.stamps) back.push(signed(-t.stamps, "stamp"));
  if (t.points) back.push(signed(-t.points, "point"));
  for (const r of t.rewards_unlocked ?? []) back.push(`${r.name} taken back`);
  if (t.reward) back.push(`${t.reward.name} given back`);
  const reason = await ask({
    title: `Void this ${(TYPES[t.type] ?? t.type).toLowerCase()}?`,
    text: `${nameOf(current)}'s ${(TYPES[t.type] ?? t.type).toLowerCase()} of ${when(t.created_at)} (${what}) is reversed: `
      + `${back.join(", ") || "no balance changes"}. The entry stays in the ledger, marked voided, with your reason.`,
    action: "Void",
    input: { label: "Reason (kept in the ledger)" },
  });
  if (reason === null) return;
  const result = await ctx.call(`/v1/transactions/${encodeURIComponent(t.transaction_id)}/void`,
    { method: "POST", body: { reason, idempotency_key: newKey() } });
  if (!result.ok) { $("member-action-status").textContent = errorText(result); return; }
  current = result.data.member;
  await drawMember();
  await loadLedger(true);
  $("member-action-status").textContent = `Voided. ${nameOf(current)} now has ${plural(current.balances.stamps, "stamp")} and ${plural(current.balances.points, "point")}.`;
}

async function resend() {
  const result = await ctx.call(`/v1/members/${encodeURIComponent(current.member_id)}/card-email`, { method: "POST" });
  $("member-action-status").textContent = result.ok ? `The card was emailed to ${nameOf(current)}.` : errorText(result);
}

async function erase() {
  const name = nameOf(current);
  const yes = await ask({
    title: `Erase ${name}?`,
    text: `Erase ${name}? Their name, email and birthday are deleted and their pass stops working. `
      + "The ledger stays, without their name. This cannot be undone.",
    action: `Erase ${name}`,
  });
  if (!yes) return;
  const result = await ctx.call(`/v1/members/${encodeURIComponent(current.member_id)}`, { method: "DELETE" });
  if (!result.ok) { $("member-action-status").textContent = errorText(result); return; }
  hideMember();
  $("member-status").textContent = `${name} was erased. Their ledger stays, without their name.`;
}

// ---- CSV exports ------------------------------------------------------------------------
export async function exportMembers(program, status = $("programs-status")) {
  status.textContent = "";
  try {
    const rows = await allPages(ctx.call, `/v1/programs/${encodeURIComponent(program.program_id)}/members`, status);
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
  "staff_name", "stamps_added", "points_added", "rewards_unlocked", "reward_redeemed", "voids", "reason"];
const ledgerRow = (m, t) => [m.member_id, m.program_id, t.transaction_id, t.type, t.stamps, t.points, t.created_at, t.staff_id,
  t.location_id, t.voided, t.staff_name ?? "", t.stamps_added ?? "", t.points_added ?? "",
  (t.rewards_unlocked ?? []).map((r) => r.name).join("; "), t.reward?.name ?? "", t.voids ?? "", t.reason ?? ""];

async function exportLedgers(found, status) {
  try {
    const rows = [];
    for (const m of found) {
      const items = await allPages(ctx.call, `/v1/members/${encodeURIComponent(m.member_id)}/transactions`, status);
      rows.push(...items.map((t) => ledgerRow(m, t)));
    }
    download(`ledger-${found.length === 1 ? found[0].member_id : "members"}.csv`, LEDGER, rows);
    status.textContent = `Ledger: ${rows.length} entries exported.`;
  } catch (error) {
    status.textContent = `Ledger: ${error.message}`;
  }
}

async function exportLedgerForm(event) {
  event.preventDefault();
  const status = $("ledger-status");
  const wanted = $("ledger-member").value.trim();
  status.textContent = "";
  const result = wanted.includes("@")
    ? await ctx.call(`/v1/members?email=${encodeURIComponent(wanted)}`)
    : await ctx.call(`/v1/members/${encodeURIComponent(wanted)}`);
  if (!result.ok) { status.textContent = `Ledger: ${errorText(result)}`; return; }
  const found = wanted.includes("@") ? result.data.items : [result.data];
  if (!found.length) { status.textContent = "Ledger: no member with that email."; return; }
  await exportLedgers(found, status);
}
