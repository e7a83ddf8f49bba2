// The console's statistics: a program's days between two dates, one metric as a bar
// chart with its values and the period's total beside it, every total in a list,
// and an empty state that says why there is nothing to draw.
import { el, errorText } from "/static/api.js";
import { download } from "/static/admin-csv.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COUNTERS = ["enrolments", "active_members", "stamps_issued", "stamps_redeemed", "points_issued", "points_redeemed",
  "rewards_unlocked", "rewards_redeemed"];
// Why a metric has nothing to show, in the owner's words.
const EMPTY = {
  enrolments: "Nobody enrolled",
  active_members: "No member came by",
  stamps_issued: "No stamps were given",
  stamps_redeemed: "No stamps were spent",
  points_issued: "No points were given",
  points_redeemed: "No points were spent",
  rewards_unlocked: "No reward was unlocked",
  rewards_redeemed: "No redemptions yet: no reward was redeemed",
  redemption_rate: "No redemption rate yet: no reward was unlocked",
};
let ctx = null; // { call, me } from the shell
let program = null;
let stats = null;

export function setup(context) {
  ctx = context;
  $("metric").addEventListener("change", () => stats && draw());
  $("stats-range").addEventListener("submit", (event) => {
    event.preventDefault();
    const from = $("stats-from").value, to = $("stats-to").value;
    if (to < from) { $("stats-error").textContent = "The end date is before the start date: pick a later one."; return; }
    fetchStats(from, to, false);
  });
  $("export-stats").addEventListener("click", () => {
    if (!stats?.days.length) return;
    download(`stats-${stats.program_id}.csv`, ["day", ...COUNTERS], stats.days.map((d) => [d.day, ...COUNTERS.map((c) => d[c])]));
  });
  window.addEventListener("resize", () => stats && !$("stats").classList.contains("hidden") && draw());
}

// The program's last 30 days (the merchant's local days, as the API counts them).
export async function show(p) {
  program = p;
  stats = null;
  $("stats").classList.remove("hidden");
  $("stats-title").textContent = `${p.name}: statistics`;
  await fetchStats(null, null, true);
  $("stats").scrollIntoView();
}

async function fetchStats(from, to, pickMetric) {
  const range = from && to ? `?from=${from}&to=${to}` : "";
  const result = await ctx.call(`/v1/programs/${encodeURIComponent(program.program_id)}/stats${range}`);
  if (!result.ok) { $("stats-error").textContent = errorText(result); return; }
  $("stats-error").textContent = "";
  stats = result.data;
  $("stats-from").value = stats.days[0].day;
  $("stats-to").value = stats.days.at(-1).day;
  if (pickMetric) $("metric").value = program.kind === "points" ? "points_issued" : "stamps_issued";
  draw();
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const sum = (key) => stats.days.reduce((a, d) => a + (d[key] ?? 0), 0);
// The redemption rate is derived: rewards redeemed per reward unlocked.
const rateOf = (redeemed, unlocked) => (unlocked ? Math.round((100 * redeemed) / unlocked) : 0);
const dayLabel = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short" });

function draw() {
  const metric = $("metric").value;
  const label = $("metric").selectedOptions[0].textContent;
  const days = stats.days;
  const rate = metric === "redemption_rate";
  const values = days.map((d) => (rate ? rateOf(d.rewards_redeemed, d.rewards_unlocked) : d[metric] ?? 0));
  const max = Math.max(1, ...values);
  const total = rate ? `${rateOf(sum("rewards_redeemed"), sum("rewards_unlocked"))}% over the period` : values.reduce((a, b) => a + b, 0);
  const period = `${dayLabel(days[0].day)} to ${dayLabel(days.at(-1).day)}`;
  const empty = rate ? sum("rewards_unlocked") === 0 : total === 0;

  $("stats-total").replaceChildren(el("span", { class: "figure" }, String(total).replace(" over the period", "")),
    ` ${rate ? "redemption rate" : label.toLowerCase()}, ${period}`);
  $("stats-empty").textContent = empty ? `${EMPTY[metric]} between ${period}.` : "";
  $("stats-empty").classList.toggle("hidden", !empty);

  // Drawn at the chart's own width, so that its text stays readable on a phone.
  const W = Math.max(300, Math.round($("chart").clientWidth || 600)), H = 220, left = 30, bottom = 24, top = 18;
  const step = (W - left) / Math.max(1, days.length);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": `${label} by day: ${total} in all, at most ${max} in a day` });
  chart.append(svg("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom, stroke: "#6B7280" }));
  chart.append(svg("text", { x: 0, y: top + 4 }, String(max)), svg("text", { x: 0, y: H - bottom }, "0"));
  const peak = values.indexOf(Math.max(...values));
  const every = Math.max(1, Math.ceil(48 / step)); // a day's label every `every` bars
  days.forEach((d, i) => {
    const h = ((H - bottom - top) * values[i]) / max;
    const x = left + i * step;
    const bar = svg("rect", { class: "bar", x: x + 1, y: H - bottom - h, width: Math.max(1, step - 2), height: h });
    bar.append(svg("title", {}, `${d.day}: ${values[i]}${rate ? "%" : ""}`));
    chart.append(bar);
    // Value labels: every day's when there is room, else the busiest day's.
    if (values[i] > 0 && (step >= 20 || i === peak)) {
      chart.append(svg("text", { class: "value", x: x + step / 2, y: H - bottom - h - 4, "text-anchor": "middle" }, `${values[i]}${rate ? "%" : ""}`));
    }
    if (i % every === 0) chart.append(svg("text", { x, y: H - 6 }, dayLabel(d.day)));
  });
  $("chart").replaceChildren(chart);

  const totals = COUNTERS.map((c) => [$("metric").querySelector(`option[value="${c}"]`).textContent, String(sum(c))]);
  totals.push(["Redemption rate", sum("rewards_unlocked") ? `${rateOf(sum("rewards_redeemed"), sum("rewards_unlocked"))}%` : "none yet"]);
  $("stats-totals").replaceChildren(...totals.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}
