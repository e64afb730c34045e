// Checks notebooks: `--clean` ones must hold no outputs (how they are committed);
// `--executed` ones must have run every code cell with no error output.
import { readFileSync } from 'node:fs';

const [mode, ...files] = process.argv.slice(2);
if (mode !== '--clean' && mode !== '--executed') {
  console.error('usage: check-notebook.mjs --clean|--executed FILE...');
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const nb = JSON.parse(readFileSync(file, 'utf8'));
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    const where = `${file}: code cell ${i}`;
    if (mode === '--clean' && (cell.outputs?.length || cell.execution_count !== null)) {
      console.error(`${where} has outputs; commit notebooks without outputs (clear them first)`);
      failed = true;
    }
    if (mode === '--executed') {
      // tslab leaves execution_count null; nbconvert records the reply time of every cell it ran.
      if (!cell.metadata?.execution?.['shell.execute_reply'] && cell.source.join('').trim()) {
        console.error(`${where} did not run`);
        failed = true;
      }
      for (const out of cell.outputs ?? []) {
        if (out.output_type === 'error') {
          console.error(`${where} raised ${out.ename}: ${out.evalue}`);
          failed = true;
        }
        // tslab reports some failures (its own, and errors it then skips cells after) only as
        // text on the cell's stderr, so scan that too. Progress bars also write to stderr,
        // hence the narrow patterns.
        const text = out.name === 'stderr' ? [].concat(out.text ?? []).join('') : '';
        const hit = text.match(/unexpected error:.*|^\w*Error: .*/im);
        if (hit) {
          console.error(`${where} printed an error on stderr: ${hit[0]}`);
          failed = true;
        }
      }
    }
  });
}
process.exit(failed ? 1 : 0);
