// How a Module prints: a PyTorch-like tree (String(model), console.log) and `summary(model)`, a
// table of every module with its parameters' shapes and counts. Built on the public Module API only.
import * as K from '@unroll/core';
import type { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** One module of the tree: its dotted path, its own parameters (each counted once), its children. */
interface Row {
  path: string;
  name: string;
  module: Module;
  depth: number;
  params: [string, Parameter][];
  children: Row[];
}

function tree(root: Module): Row {
  const rows = new Map<string, Row>();
  let top: Row | undefined;
  for (const [path, module] of root.namedModules()) {
    const cut = path.lastIndexOf('.');
    const row: Row = { path, name: path.slice(cut + 1), module, depth: path ? path.split('.').length : 0, params: [], children: [] };
    rows.set(path, row);
    if (path === '') top = row;
    else rows.get(cut < 0 ? '' : path.slice(0, cut))?.children.push(row);
  }
  // namedParameters lists a shared parameter once, under its first name: count it there.
  for (const [name, p] of root.namedParameters()) {
    const cut = name.lastIndexOf('.');
    rows.get(cut < 0 ? '' : name.slice(0, cut))?.params.push([name.slice(cut + 1), p]);
  }
  return top!;
}

const count = (n: number) => n.toLocaleString('en-US');
const own = (row: Row) => row.params.reduce((n, [, p]) => n + p.size, 0);
const total = (row: Row): number => own(row) + row.children.reduce((n, c) => n + total(c), 0);
const shapeOf = ([n, p]: [string, Parameter]) => `${n} ${K.fmt(p.shape)}${p.requiresGrad ? '' : ' (frozen)'}`;
const WIDTH = 100;

/**
 * The module as a tree, children in registration order; a module's own parameters follow its
 * header after `#` (on the next lines when they do not fit in 100 characters):
 * ```
 * CharModel(
 *   (embedding): Embedding(numEmbeddings=65, embeddingDim=16)  # weight [65, 16] · 1,040 params
 *   (head): Linear(inFeatures=16, outFeatures=65)  # weight [65, 16], bias [65] · 1,105 params
 * )  # 2,145 params
 * ```
 */
export function formatModule(module: Module): string {
  const lines: string[] = [];
  const visit = (row: Row, label: string, indent: string) => {
    // A container opens a block and shows its settings on its own line inside it, as PyTorch does.
    const extra = row.module.extraRepr();
    const name = row.module.constructor.name;
    const first = row.children.length ? `${indent}${label}${name}(` : `${indent}${label}${name}(${extra})`;
    if (!row.params.length) lines.push(first);
    else {
      const inline = `${first}  # ${row.params.map(shapeOf).join(', ')} · ${count(own(row))} params`;
      if (inline.length <= WIDTH) lines.push(inline);
      else {
        lines.push(`${first}  # ${count(own(row))} params:`);
        let line = '';
        for (const item of row.params.map(shapeOf)) {
          const next = line ? `${line}, ${item}` : item;
          if (line && indent.length + 4 + next.length + 1 > WIDTH) { // + 1: the comma ending the line
            lines.push(`${indent}    ${line},`);
            line = item;
          } else line = next;
        }
        lines.push(`${indent}    ${line}`);
      }
    }
    if (!row.children.length) return;
    if (extra) lines.push(`${indent}  ${extra}`);
    for (const c of row.children) visit(c, `(${c.name}): `, `${indent}  `);
    lines.push(`${indent})  # ${count(total(row))} params`);
  };
  visit(tree(module), '', '');
  return lines.join('\n');
}

/**
 * A table of the module, every submodule and every parameter: name, type or shape, and count;
 * then the total, trainable and frozen counts (shared parameters counted once, where first
 * registered), as Keras' `model.summary()`. Returns the text (print it with console.log).
 */
export function summary(module: Module): string {
  const rows: string[][] = [];
  const walk = (row: Row) => {
    const pad = '  '.repeat(row.depth);
    rows.push([`${pad}${row.path || '(model)'}`, row.module.constructor.name, '', count(total(row))]);
    for (const [name, p] of row.params) rows.push([`${pad}  .${name}`, p.requiresGrad ? '' : 'frozen', K.fmt(p.shape), count(p.size)]);
    row.children.forEach(walk);
  };
  walk(tree(module));
  const head = ['Name', 'Type', 'Shape', 'Params'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const ruleWidth = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const params = module.parameters();
  const all = params.reduce((n, p) => n + p.size, 0);
  const trainable = params.filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0);
  return [
    line(head), '-'.repeat(ruleWidth), ...rows.map(line), '='.repeat(ruleWidth),
    `Total params: ${count(all)}`, `Trainable params: ${count(trainable)}`, `Frozen params: ${count(all - trainable)}`,
  ].join('\n');
}

/**
 * The default `extraRepr`: the module's own settings — every own field holding a number, a boolean,
 * a string or an array of numbers (`inFeatures=4, outFeatures=2`), except `training`.
 */
export function defaultExtraRepr(module: Module): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(module)) {
    if (key === 'training') continue;
    if (typeof value === 'number' || typeof value === 'boolean') parts.push(`${key}=${value}`);
    else if (typeof value === 'string') parts.push(`${key}='${value}'`);
    else if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'number')) parts.push(`${key}=${K.fmt(value)}`);
  }
  return parts.join(', ');
}
