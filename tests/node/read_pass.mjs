// Reads a folder of unzipped pass files with passkit-generator, an independent
// implementation of Apple's pass format, and prints what it read back as JSON.
//
//   node read_pass.mjs <folder> <wwdr.pem> <pass.pem> <pass.key>
//
// passkit-generator validates pass.json against its Joi schemas (one per Apple
// object) and drops what fails with a console.warn instead of throwing, so the
// warnings are collected and printed too: an empty list means it accepted all.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PKPass } from "passkit-generator";

const [folder, wwdrPath, certPath, keyPath] = process.argv.slice(2);
if (!keyPath) {
  console.error("usage: node read_pass.mjs <folder> <wwdr.pem> <pass.pem> <pass.key>");
  process.exit(2);
}

const warnings = [];
console.warn = (...args) => warnings.push(args.map(String).join(" "));

// Every file, with its path in the pass ("fr.lproj/pass.strings"): folders are not files.
const buffers = {};
for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const full = path.join(entry.parentPath ?? entry.path, entry.name);
  buffers[path.relative(folder, full).split(path.sep).join("/")] = await readFile(full);
}
const certificates = {
  wwdr: await readFile(wwdrPath),
  signerCert: await readFile(certPath),
  signerKey: await readFile(keyPath),
};

const pass = new PKPass(buffers, certificates, {});

// The files it holds (it sets manifest.json and signature aside, to make its own).
// The bundle's file map sits behind a module-private symbol; find it by name.
const filesSymbol = Object.getOwnPropertySymbols(pass).find(
  (symbol) => symbol.description === "bundleFiles",
);
const files = Object.keys(pass[filesSymbol]).sort();
const props = pass.props;

// Packing it again proves our certificates and images suit it as well.
const exported = pass.getAsBuffer();

console.log(
  JSON.stringify({
    type: pass.type,
    formatVersion: props.formatVersion,
    passTypeIdentifier: props.passTypeIdentifier,
    serialNumber: props.serialNumber,
    teamIdentifier: props.teamIdentifier,
    organizationName: props.organizationName,
    description: props.description,
    webServiceURL: props.webServiceURL,
    authenticationToken: props.authenticationToken,
    logoText: props.logoText,
    backgroundColor: props.backgroundColor,
    foregroundColor: props.foregroundColor,
    labelColor: props.labelColor,
    sharingProhibited: props.sharingProhibited,
    voided: props.voided,
    storeCard: {
      headerFields: pass.headerFields,
      primaryFields: pass.primaryFields,
      secondaryFields: pass.secondaryFields,
      auxiliaryFields: pass.auxiliaryFields,
      backFields: pass.backFields,
    },
    barcodes: props.barcodes,
    files,
    exportedBytes: exported.length,
    warnings,
  }),
);
