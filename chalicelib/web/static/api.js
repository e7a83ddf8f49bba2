// The pages' one door to the JSON API: same origin, bearer token, the API's error body (docs/api.md).
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return { ok: response.ok, status: response.status, data };
}

export function errorText(result) {
  return result.data?.error?.message || `The server answered ${result.status}; try again.`;
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Text only: every value shown comes from the API or the user.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function rulesOf(program) {
  const lines = [];
  if (program.kind === "stamps" && program.stamps) {
    lines.push(`Collect ${program.stamps.required} stamps and get: ${program.stamps.reward?.name ?? "a reward"}.`);
  }
  if (program.kind === "points" && program.points) {
    const p = program.points;
    lines.push(`Earn ${p.per_unit} point(s) for every 1 ${p.currency} you spend.`);
    for (const item of p.catalog || []) lines.push(`${item.name}: ${item.cost} points.`);
  }
  for (const tier of program.tiers || []) {
    lines.push(`${tier.name} tier from ${tier.threshold} ${program.kind}${program.tier_window_days ? ` in ${program.tier_window_days} days` : ""}: earn ×${tier.multiplier}.`);
  }
  if (program.welcome) { const n = program.welcome.stamps ?? program.welcome.points; lines.push(`Welcome gift: ${n} ${program.welcome.stamps ? "stamp" : "point"}${n === 1 ? "" : "s"}.`); }
  if (program.birthday) lines.push(`Birthday treat: ${program.birthday.reward?.name ?? "a reward"}.`);
  const expiry = program.expiry;
  if (expiry && expiry.mode !== "never") {
    const text = { after_days: `${expiry.days} days after you earn them`, inactivity_days: `after ${expiry.days} days without a visit`,
      end_of_month: "at the end of each month", end_of_year: "at the end of each year" }[expiry.mode];
    lines.push(`Balances expire ${text}.`);
  }
  if (program.reward_valid_days) lines.push(`Rewards are valid for ${program.reward_valid_days} days.`);
  return lines;
}
