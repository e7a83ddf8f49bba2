// The program editor: a form drawn from the Program JSON Schema of /openapi.json, so a
// field added to the model shows up with its label (title) and help (description);
// a quick start for the few fields a café needs first; the JSON as an advanced view;
// refusals shown beside their fields; a live preview from the service's own builders.
import { el, errorText } from "/static/api.js";
import { drawPreview } from "/static/admin-preview.js";

const $ = (id) => document.getElementById(id);
// Hand-made: what a café sets first, in this order (points fields for a points card).
const QUICK = ["name", "kind", "stamps.required", "stamps.reward.name", "points.per_unit", "points.currency",
  "design.background_color", "design.foreground_color"];
// Top-level fields shown inside another's section (the tier window beside the tiers).
const GROUPED = { tier_window_days: "tiers", reward_valid_days: "expiry" };
// A section's first content when the owner turns it on (else built from the schema).
const STARTERS = {
  stamps: () => ({ required: 10, reward: { name: "Free coffee" } }),
  points: () => ({ per_unit: "1", currency: "EUR", catalog: [] }),
  welcome: (doc) => ({ [doc.kind === "points" ? "points" : "stamps"]: 1 }),
};
const TEMPLATE = {
  name: "Coffee card", kind: "stamps", stamps: { required: 10, reward: { name: "Free coffee" } },
  design: { background_color: "#7C2D12", foreground_color: "#FFFFFF", label_color: "#FDE68A" },
};
const PREVIEW_DELAY_MS = 350;
// Hand-made: fields that mean nothing in the current document are not drawn.
const NEEDS_DAYS = ["after_days", "inactivity_days"];
const APPLIES = {
  "welcome.stamps": () => doc.kind !== "points",
  "welcome.points": () => doc.kind === "points",
  "expiry.days": () => NEEDS_DAYS.includes(doc.expiry?.mode),
};
// ...and what a choice brings with it (days for a mode that counts them).
const FOLLOWS = {
  kind: () => kindChanged(),
  "expiry.mode": () => {
    if (!NEEDS_DAYS.includes(doc.expiry?.mode)) delete doc.expiry.days;
    else doc.expiry.days ??= 365;
    render();
    changed();
  },
};

let call = null; // the shell's API call, with the session's token
let onSaved = () => {};
let schemas = null; // components.schemas of /openapi.json
let doc = {}; // the document as the form has it
let saved = null; // the stored program being edited, or null for a new one
let previewTimer = null;
let previewSeq = 0;

export function initEditor(options) {
  call = options.call;
  onSaved = options.onSaved ?? onSaved;
  $("program-form").addEventListener("submit", (event) => { event.preventDefault(); save(); });
  $("close-program").addEventListener("click", () => { $("editor").classList.add("hidden"); saved = null; });
  $("program-json").addEventListener("input", () => {
    try {
      const parsed = JSON.parse($("program-json").value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("it must be a JSON object");
      $("program-json-error").textContent = "";
      doc = parsed;
      render({ keepJson: true });
      changed({ keepJson: true });
    } catch (error) {
      $("program-json-error").textContent = `Not valid JSON yet: ${error.message}`;
    }
  });
}

async function loadSchemas() {
  if (schemas) return schemas;
  const result = await call("/openapi.json");
  if (!result.ok) throw new Error(errorText(result));
  schemas = result.data.components.schemas;
  return schemas;
}

export async function openProgram(program) {
  $("editor").classList.remove("hidden");
  // Hidden until the schema is in: what is typed before would be drawn over.
  $("program-form").classList.add("hidden");
  $("editor-status").textContent = "Loading the form…";
  $("program-error").textContent = "";
  $("program-links").textContent = "";
  $("preview-status").textContent = "";
  for (const id of ["preview-apple", "preview-google"]) $(id).replaceChildren(); // another program's
  try { await loadSchemas(); } catch (error) {
    $("editor-status").textContent = `The form could not be loaded: ${error.message}`;
    return;
  }
  $("editor-status").textContent = "";
  $("program-form").classList.remove("hidden");
  saved = program;
  const known = Object.keys(schemas.Program.properties);
  // Only the document's own fields: not program_id, version and the like.
  doc = structuredClone(Object.fromEntries(Object.entries(program ?? TEMPLATE).filter(([k]) => known.includes(k))));
  $("editor-title").textContent = program ? `Edit ${program.name}` : "New program";
  render();
  changed();
  $("editor").scrollIntoView();
  $(fieldId("name"))?.focus();
}

// ---- the document: paths like "tiers.0.name", as the API's refusals name fields ----
const parts = (path) => path.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function getAt(path) {
  let node = doc;
  for (const part of parts(path)) { if (node === null || node === undefined) return undefined; node = node[part]; }
  return node;
}

function setAt(path, value) {
  const keys = parts(path);
  let node = doc;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    if (!isObject(node[key]) && !Array.isArray(node[key])) node[key] = typeof keys[i + 1] === "number" ? [] : {};
    node = node[key];
  }
  const last = keys.at(-1);
  if (value === undefined) { if (Array.isArray(node)) node.splice(last, 1); else delete node[last]; } else node[last] = value;
}

// ---- the schema -------------------------------------------------------------------
function resolve(schema) {
  return schema?.$ref ? schemas[schema.$ref.split("/").pop()] : schema;
}

// A property's own schema without its "or null", and whether it may be left out.
function unwrap(schema) {
  const options = (schema.anyOf ?? []).filter((s) => s.type !== "null");
  if (schema.anyOf && options.length === 1) return { ...resolve(options[0]), title: schema.title, description: schema.description, default: schema.default, examples: schema.examples ?? options[0].examples, nullable: true };
  return { ...resolve(schema), title: schema.title ?? resolve(schema)?.title, description: schema.description ?? resolve(schema)?.description };
}

function schemaAt(path) {
  let schema = { ...schemas.Program, nullable: false };
  for (const part of parts(path)) {
    if (typeof part === "number") schema = unwrap(schema.items ?? {});
    else if (schema.properties?.[part]) schema = unwrap(schema.properties[part]);
    else if (isObject(schema.additionalProperties)) schema = unwrap(schema.additionalProperties);
    else return null;
  }
  return schema;
}

const fieldId = (path) => `f-${path.replaceAll(".", "-")}`;
const humanised = (name) => String(name).replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

// A new value for a section or a list entry: the starter, or each required field's default.
function starter(schema, path) {
  if (STARTERS[path]) return STARTERS[path](doc);
  if (schema.type === "object" && schema.properties) {
    const value = {};
    for (const name of schema.required ?? []) {
      const inner = unwrap(schema.properties[name]);
      const first = starter(inner, `${path}.${name}`);
      if (first !== undefined) value[name] = first;
    }
    return value;
  }
  if (schema.default !== undefined && schema.default !== null) return structuredClone(schema.default);
  if (schema.enum) return schema.enum[0];
  if (schema.type === "array") return [];
  // A count's least value (0 or 1); a coordinate's is no sensible start: left empty.
  if (schema.type === "integer" || schema.type === "number") return schema.minimum >= 0 ? schema.minimum : undefined;
  return undefined;
}

// ---- drawing the form ----------------------------------------------------------------
function render({ keepJson = false } = {}) {
  const focused = document.activeElement?.id;
  const quick = el("div", { class: "fields" });
  for (const path of QUICK) {
    const top = path.split(".")[0];
    if ((top === "stamps" || top === "points") && doc.kind !== top) continue;
    const schema = schemaAt(path);
    if (schema) quick.append(control(path, schema));
  }
  $("quick-start").replaceChildren(el("legend", {}, "Quick start"), quick);

  const sections = new Map();
  const general = [];
  for (const [name, property] of Object.entries(schemas.Program.properties)) {
    if (QUICK.includes(name)) continue;
    const schema = unwrap(property);
    const home = GROUPED[name];
    if (home) { (sections.get(home) ?? sections.set(home, []).get(home)).push(name); continue; }
    if (schema.type === "object" || schema.type === "array") (sections.get(name) ?? sections.set(name, []).get(name)).unshift(name);
    else general.push(name);
  }
  const blocks = [];
  for (const [name, members] of sections) {
    if ((name === "stamps" || name === "points") && doc.kind !== name) continue;
    const schema = unwrap(schemas.Program.properties[name]);
    const body = members.map((member) => member === name ? section(name, schema) : anyField(member, unwrap(schemas.Program.properties[member])));
    if (!body.some((node) => node.childElementCount || node.textContent)) continue;
    const value = getAt(name);
    blocks.push(el("details", { class: "section", "data-section": name },
      el("summary", {}, schema.title ?? humanised(name)), ...body));
    blocks.at(-1).open = Array.isArray(value) ? value.length > 0 : isObject(value);
  }
  if (general.length) blocks.push(el("details", { class: "section", "data-section": "" }, el("summary", {}, "General"), ...general.map((n) => anyField(n, unwrap(schemas.Program.properties[n])))));
  // Keep each section open or closed as the owner left it.
  const state = new Map([...document.querySelectorAll("#program-sections details")].map((d) => [d.dataset.section, d.open]));
  for (const block of blocks) if (state.has(block.dataset.section)) block.open = state.get(block.dataset.section);
  $("program-sections").replaceChildren(...blocks);
  if (!keepJson) $("program-json").value = JSON.stringify(doc, null, 2);
  if (focused && $(focused)) $(focused).focus();
}

// A top-level object or list, less what the quick start already shows. The kind's own
// section is always there (it is not optional for that kind).
function section(path, schema) {
  const node = schema.properties ? objectField(path, path === doc.kind ? { ...schema, nullable: false } : schema, true)
    : anyField(path, schema);
  // The section's summary shows the same title: the legend stays for screen readers only.
  node.querySelector(":scope > legend")?.classList.add("visually-hidden");
  return node;
}

function help(id, schema) {
  return schema.description ? el("p", { id: `${id}-help`, class: "help" }, schema.description) : null;
}

function errorSlot(id) {
  return el("p", { id: `${id}-error`, class: "error field-error" });
}

function objectField(path, schema, top = false) {
  const id = fieldId(path);
  const value = getAt(path);
  const inner = [];
  if (schema.nullable) {
    inner.push(el("label", { class: "check", for: `${id}-on` },
      el("input", { type: "checkbox", id: `${id}-on`, checked: value !== undefined || undefined,
        onchange: (event) => { setAt(path, event.target.checked ? starter(schema, path) : undefined); render(); changed(); } }),
      `Use ${(schema.title ?? humanised(path)).toLowerCase()}`));
  }
  if (value !== undefined || !schema.nullable) {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const child = `${path}.${name}`;
      const node = anyField(child, unwrap(property));
      if (node.querySelector("input, select, textarea, button")) inner.push(node);
    }
  }
  if (!inner.length) return el("div");
  if (top && !schema.nullable && inner.every((node) => node.tagName === "FIELDSET")) return el("div", {}, ...inner);
  return el("fieldset", { id, "aria-describedby": schema.description ? `${id}-help` : undefined },
    el("legend", {}, schema.title ?? humanised(path)), help(id, schema), errorSlot(id), ...inner);
}

function listField(path, schema) {
  const id = fieldId(path);
  const items = getAt(path) ?? [];
  const itemSchema = resolve(schema.items) ?? {};
  const title = schema.title ?? humanised(path);
  const entries = items.map((_, i) => {
    const entry = `${path}.${i}`;
    const fields = itemSchema.properties
      ? Object.entries(itemSchema.properties).map(([name, property]) => anyField(`${entry}.${name}`, unwrap(property)))
      : [anyField(entry, itemSchema)];
    return el("fieldset", { class: "entry", id: fieldId(entry) }, el("legend", {}, `${title}, number ${i + 1}`), errorSlot(fieldId(entry)), ...fields,
      el("button", { type: "button", class: "secondary", onclick: () => { items.splice(i, 1); setAt(path, items.length ? items : undefined); render(); changed(); } },
        `Remove ${title.toLowerCase()} number ${i + 1}`));
  });
  const full = schema.maxItems !== undefined && items.length >= schema.maxItems;
  return el("fieldset", { id, "aria-describedby": schema.description ? `${id}-help` : undefined },
    el("legend", {}, title), help(id, schema), errorSlot(id), ...entries,
    el("button", { type: "button", class: "secondary", id: `${id}-add`, disabled: full || undefined,
      onclick: () => { setAt(path, [...items, starter(itemSchema, `${path}.${items.length}`)]); render(); changed(); $(fieldId(`${path}.${items.length}`))?.querySelector("input, select")?.focus(); } },
    `Add to ${title.toLowerCase()}`));
}

// The control for any value: a group, a list, a map (keys of the owner's choosing),
// else one input. Nothing for what the quick start shows or what does not apply.
function anyField(path, schema) {
  if (QUICK.includes(path) || APPLIES[path]?.() === false) return el("div");
  if (schema.properties) return objectField(path, schema);
  if (schema.type === "array" && resolve(schema.items)) return listField(path, schema);
  if (isObject(schema.additionalProperties)) return mapField(path, schema);
  return control(path, schema);
}

// A map such as {"fr": {...}, "de": {...}}: per entry, its key and its value's fields.
function mapField(path, schema) {
  const id = fieldId(path);
  const entries = Object.entries(getAt(path) ?? {});
  const valueSchema = unwrap(schema.additionalProperties);
  const title = schema.title ?? humanised(path);
  const keyHelp = schema.propertyNames?.description ?? null;
  const rekey = (from, to) => {
    if (to === from || entries.some(([k]) => k === to)) return;
    setAt(path, Object.fromEntries(entries.map(([k, v]) => [k === from ? to : k, v])));
    render();
    changed();
  };
  const blocks = entries.map(([key], i) => {
    const entry = `${path}.${key}`;
    const keyId = `${id}-key-${i}`;
    return el("fieldset", { class: "entry", id: fieldId(entry) }, el("legend", {}, `${title}: ${key || "new entry"}`),
      errorSlot(fieldId(entry)),
      el("div", { class: "field" }, el("label", { for: keyId }, schema.propertyNames?.title ?? "Key"), el("input", { id: keyId, type: "text", value: key,
        "aria-describedby": keyHelp ? `${keyId}-help` : undefined, onchange: (e) => rekey(key, e.target.value.trim()) }),
      keyHelp ? el("p", { id: `${keyId}-help`, class: "help" }, keyHelp) : null),
      ...(valueSchema.properties
        ? Object.entries(valueSchema.properties).map(([name, property]) => anyField(`${entry}.${name}`, unwrap(property)))
        : [anyField(entry, valueSchema)]),
      el("button", { type: "button", class: "secondary", onclick: () => { setAt(entry, undefined); if (entries.length === 1) setAt(path, undefined); render(); changed(); } },
        `Remove ${title.toLowerCase()}: ${key || "new entry"}`));
  });
  const adding = entries.some(([k]) => k === "");
  return el("fieldset", { id, "aria-describedby": schema.description ? `${id}-help` : undefined },
    el("legend", {}, title), help(id, schema), errorSlot(id), ...blocks,
    el("button", { type: "button", class: "secondary", disabled: adding || undefined,
      onclick: () => { setAt(path, { ...Object.fromEntries(entries), "": starter(valueSchema, "") ?? "" }); render(); changed(); $(`${id}-key-${entries.length}`)?.focus(); } },
    `Add to ${title.toLowerCase()}`));
}

// Whether the object holding `path` must have it (the schema's "required").
function isRequired(path) {
  const keys = parts(path);
  const parent = keys.length > 1 ? schemaAt(keys.slice(0, -1).join(".")) : schemas.Program;
  return typeof keys.at(-1) === "number" || (parent?.required ?? []).includes(keys.at(-1));
}

// One labelled input for a value: its label, help text and error slot.
function control(path, schema) {
  const id = fieldId(path);
  const required = isRequired(path);
  const title = schema.title ?? humanised(path.split(".").at(-1));
  const value = getAt(path);
  const describedBy = [schema.description ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  const choiceText = (c) => (c === "" ? "(none)" : humanised(c));
  const common = { id, name: path, "aria-describedby": describedBy };
  let input;
  let extra = null;
  const set = (next) => { setAt(path, next); changed(); };
  if (schema.enum) {
    // "(none)" where the field may be left out and has no default of its own.
    const optional = schema.nullable || (!required && schema.default === undefined);
    const choices = [...(optional ? [""] : []), ...schema.enum];
    input = el("select", { ...common, onchange: (e) => { set(e.target.value === "" ? undefined : e.target.value); FOLLOWS[path]?.(); } },
      ...choices.map((c) => el("option", { value: c, selected: (value ?? schema.default ?? "") === c || undefined }, choiceText(c))));
    if (path === "kind" && saved) input.disabled = true; // a program's kind cannot change
  } else if (schema.type === "boolean") {
    input = el("input", { ...common, type: "checkbox", checked: value === true || undefined, onchange: (e) => set(e.target.checked) });
  } else if (schema.type === "integer" || schema.type === "number") {
    input = el("input", { ...common, type: "number", inputmode: schema.type === "integer" ? "numeric" : "decimal", step: schema.type === "integer" ? 1 : "any",
      min: schema.minimum, max: schema.maximum, value: value ?? "", placeholder: schema.default ?? undefined,
      oninput: (e) => set(e.target.value === "" ? undefined : Number(e.target.value)) });
  } else if (schema.type === "string") {
    const example = schema.examples?.[0];
    input = el("input", { ...common, type: "text", value: value ?? "", maxlength: schema.maxLength,
      placeholder: schema.default ?? (example !== undefined ? `e.g. ${example}` : undefined),
      oninput: (e) => { set(e.target.value === "" ? undefined : e.target.value); syncPicker(path); } });
    if (schema.format === "color") {
      extra = el("input", { type: "color", id: `${id}-picker`, class: "picker", "aria-label": `${title}: pick a colour`,
        value: /^#[0-9A-Fa-f]{6}$/.test(value ?? "") ? value : (example ?? "#000000"),
        oninput: (e) => { set(e.target.value.toUpperCase()); input.value = e.target.value.toUpperCase(); } });
    }
  } else {
    // A shape the form does not draw (a map of languages, say): its JSON, in place.
    input = el("textarea", { ...common, rows: 4, spellcheck: "false",
      oninput: (e) => { try { set(e.target.value.trim() ? JSON.parse(e.target.value) : undefined); } catch { /* shown once valid */ } } },
    value === undefined ? "" : JSON.stringify(value, null, 2));
  }
  if (required) input.setAttribute("aria-required", "true");
  return el("div", { class: "field", "data-path": path },
    el("label", { for: id }, title, required ? el("span", { class: "note" }, " (required)") : null),
    extra ? el("div", { class: "with-picker" }, input, extra) : input,
    help(id, schema), errorSlot(id));
}

function syncPicker(path) {
  const picker = $(`${fieldId(path)}-picker`);
  const value = getAt(path);
  if (picker && /^#[0-9A-Fa-f]{6}$/.test(value ?? "")) picker.value = value;
}

function kindChanged() {
  for (const kind of ["stamps", "points"]) {
    if (kind === doc.kind) { if (!isObject(doc[kind])) doc[kind] = STARTERS[kind](); } else delete doc[kind];
  }
  if (doc.welcome) doc.welcome = STARTERS.welcome(doc);
  render();
  changed();
}

// ---- after every change: the JSON view, and the preview (debounced) ---------------
function changed({ keepJson = false } = {}) {
  if (!keepJson) $("program-json").value = JSON.stringify(doc, null, 2);
  clearTimeout(previewTimer);
  previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
}

async function refreshPreview() {
  const seq = ++previewSeq;
  $("preview-status").textContent = "Updating…";
  const result = await call("/v1/programs/preview", { method: "POST", body: doc });
  if (seq !== previewSeq) return; // a later change is on its way
  if (result.ok) {
    showErrors([]);
    drawPreview(result.data);
    $("preview-status").textContent = "A sample member's card, as the wallets would show it.";
  } else if (result.status === 422) {
    showErrors(refusals(result));
    $("preview-status").textContent = $("preview-apple").childElementCount
      ? "The preview shows the last valid version: see the fields marked in red."
      : "No preview until the fields marked in red are put right.";
  } else {
    $("preview-status").textContent = `No preview: ${errorText(result)}`;
  }
}

function refusals(result) {
  const error = result.data?.error ?? {};
  return error.errors ?? [{ field: error.field ?? null, message: errorText(result) }];
}

// Each refusal beside its field, else beside the nearest section that holds it.
function showErrors(errors) {
  for (const node of document.querySelectorAll("#program-form .field-error")) node.textContent = "";
  for (const node of document.querySelectorAll("#program-form [aria-invalid]")) node.removeAttribute("aria-invalid");
  $("program-error").textContent = "";
  const general = [];
  for (const { field, message } of errors) {
    let path = field ?? "";
    let slot = null;
    while (path && !(slot = $(`${fieldId(path)}-error`))) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (!slot) { general.push(message); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    $(fieldId(path))?.setAttribute("aria-invalid", "true");
    const details = slot.closest("details");
    if (details) details.open = true;
  }
  if (general.length) $("program-error").textContent = general.join(" ");
}

// ---- saving -----------------------------------------------------------------------
// A JSON merge patch (RFC 7396) from the stored document to the form's.
function mergePatch(before, after) {
  const patch = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (isObject(value) && isObject(before[key])) {
      const inner = mergePatch(before[key], value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(value) !== JSON.stringify(before[key])) patch[key] = value;
  }
  return patch;
}

async function save() {
  clearTimeout(previewTimer);
  const known = Object.keys(schemas.Program.properties);
  const before = saved ? Object.fromEntries(Object.entries(saved).filter(([k]) => known.includes(k))) : null;
  const result = saved
    ? await call(`/v1/programs/${encodeURIComponent(saved.program_id)}`, { method: "PATCH", body: mergePatch(before, doc) })
    : await call("/v1/programs", { method: "POST", body: doc });
  if (!result.ok) {
    if (result.status === 422) {
      showErrors(refusals(result));
      document.querySelector("#program-form [aria-invalid='true']")?.focus();
    } else $("program-error").textContent = errorText(result);
    return;
  }
  showErrors([]);
  saved = result.data;
  $("editor-title").textContent = `Edit ${saved.name}`;
  render();
  const updates = saved.pass_updates ? ` ${saved.pass_updates.members} members' passes are being updated.` : "";
  $("program-links").replaceChildren(`Saved.${updates} `, el("a", { href: `/join/${saved.program_id}`, id: "saved-join" }, "Open its join page"));
  onSaved();
}
