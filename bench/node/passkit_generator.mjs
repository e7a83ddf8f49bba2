// Builds and signs N passes with passkit-generator from the same files and
// certificates as bench/passes.py, and prints {"passes", "seconds", "cpuSeconds"}
// as JSON: CPU time as well as wall time, as `openssl speed` counts CPU time.
//
//   node passkit_generator.mjs <folder> <wwdr.pem> <pass.pem> <pass.key> <count>
//
// passkit-generator is installed (pinned) in tests/node; it is loaded from there
// so that the test and the benchmark measure the same version.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(new URL("../../tests/node/package.json", import.meta.url));
const { PKPass } = require("passkit-generator");

const [folder, wwdrPath, certPath, keyPath, countText] = process.argv.slice(2);
const count = Number(countText);
if (!Number.isInteger(count) || count < 1) {
  console.error("usage: node passkit_generator.mjs <folder> <wwdr> <cert> <key> <count>");
  process.exit(2);
}

const buffers = {};
for (const name of await readdir(folder)) {
  // Only what a template holds: it makes its own manifest and signature.
  if (name !== "manifest.json" && name !== "signature") {
    buffers[name] = await readFile(path.join(folder, name));
  }
}
const certificates = {
  wwdr: await readFile(wwdrPath),
  signerCert: await readFile(certPath),
  signerKey: await readFile(keyPath),
};

function build(index) {
  const pass = new PKPass(buffers, certificates, { serialNumber: `bench-${index}` });
  return pass.getAsBuffer();
}

for (let i = 0; i < 5; i++) build(i); // warm-up: JIT and first-use costs

const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
let bytes = 0;
for (let i = 0; i < count; i++) bytes += build(i).length;
const cpu = process.cpuUsage(cpuStart);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ passes: count, seconds, cpuSeconds, bytes }));
