// Run by DomainFunction after bundling a function with native modules: fails the synth unless the
// asset holds at least one native binary and every one of them (`*.node` under node_modules) is an
// ELF shared object for the function's architecture. A binary for the build machine would
// otherwise deploy fine and fail at the function's first call.
// Usage: node assert-native-binaries.mjs <asset dir> <arm64|x86_64>
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** ELF e_machine values (offset 18) by Lambda architecture name. */
const ELF_MACHINE = { arm64: 0xb7, x86_64: 0x3e };

const [assetDir, architecture] = process.argv.slice(2);
const expected = ELF_MACHINE[architecture];
if (!assetDir || expected === undefined) {
  console.error('usage: node assert-native-binaries.mjs <asset dir> <arm64|x86_64>');
  process.exit(2);
}

function elfMachine(file) {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, header.length, 0) < header.length) return undefined;
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined; // "\x7fELF"
  return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
}

const modulesDir = join(assetDir, 'node_modules');
const binaries = readdirSync(modulesDir, { recursive: true })
  .map(String)
  .filter((path) => path.endsWith('.node'));
const wrong = binaries.filter((path) => elfMachine(join(modulesDir, path)) !== expected);

if (binaries.length === 0 || wrong.length > 0) {
  console.error(
    binaries.length === 0
      ? `No native binary was installed in ${modulesDir}.`
      : `Native binaries not built for Linux ${architecture} in ${modulesDir}: ${wrong.join(', ')}.`,
    'The npm that installed them must honour npm_config_os/cpu/libc (npm 10.3 or later).',
  );
  process.exit(1);
}
