// The console's CSV exports: every page of a list, then one download.
import { el, errorText } from "/static/api.js";

// A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one).
// It may also split a cell at a separator other than ours (; in a French Excel, a
// tab, a |), so a formula character is neutralised with ' at the start and after
// any of them: "x;=2+5" is written "x;'=2+5". Such cells are quoted as well.
export function cell(value) {
  let text = (value === null || value === undefined ? "" : String(value))
    .replace(/(^|[,;\t|\r\n])([ \t\r]*)(?=[=+\-@])/g, "$1$2'");
  if (/^[\t\r]/.test(text)) text = `'${text}`;
  return /[",;\t|\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function download(name, header, rows) {
  const csv = [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
  const link = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

// Every item of a list, following `next_cursor`; `status` shows the count so far.
export async function allPages(call, path, status) {
  const items = [];
  let cursor = null;
  do {
    const result = await call(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (!result.ok) throw new Error(errorText(result));
    items.push(...result.data.items);
    cursor = result.data.next_cursor;
    if (status) status.textContent = `${items.length} rows…`;
  } while (cursor);
  return items;
}
