// End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the built
// page, served with cross-origin isolation headers from 127.0.0.1, trains in its worker — the loss
// falls, a sample appears, the page keeps drawing frames, core's kernels run on 2 threads — and the same
// page under a strict Content-Security-Policy (no eval, no blob: workers) trains too, on one thread, and
// on 2 threads again once the policy allows blob: workers. Screenshots go to artifacts/ (CI keeps them).
// Run: pnpm --filter @unroll/web-demo test:browser (builds first). CHROMIUM=/path overrides the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const artifacts = fileURLToPath(new URL('../artifacts', import.meta.url));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

let server;
let context;
let profile;

const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';

before(async () => {
  if (!existsSync(browser)) {
    throw new Error(`web-demo browser test: no Chromium at ${browser}; install Debian's (apt-get install chromium) or set CHROMIUM to a Chromium binary`);
  }
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  profile = mkdtempSync(join(tmpdir(), 'unroll-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: browser,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Opens `path`, collects page errors and console errors, and waits for `steps` training steps and a sample. */
async function trainOn(path, { steps = 120 } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(`${server.url}${path}`);
  await page.waitForFunction(
    (n) => window.demo.error !== null || (window.demo.steps >= n && window.demo.samples.length > 0),
    steps, { timeout: 240_000, polling: 250 });
  const demo = await page.evaluate(() => ({ ...window.demo }));
  return { page, demo, errors };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('the page trains in its worker: loss falls, samples appear, frames keep coming, WebAssembly gemm on', async () => {
  const { page, demo, errors } = await trainOn('/?autostart');
  assert.equal(demo.error, null);
  assert.deepEqual(errors, []);
  assert.equal(demo.info.wasmGemm, true);
  assert.equal(demo.info.crossOriginIsolated, true);
  // This machine has 2 cores: the pool runs the kernels on this thread and one worker.
  assert.equal(demo.threads, 2, 'the kernels ran on 2 threads');
  const first = demo.losses[0];
  const last = mean(demo.losses.slice(-10));
  // An untrained model is near uniform over the characters: loss ≈ ln(vocabulary size).
  assert.ok(Math.abs(first - Math.log(demo.info.vocabSize)) < 0.3, `the first loss (${first}) is near ln(vocab) = ${Math.log(demo.info.vocabSize)}`);
  assert.ok(last < first - 0.5, `the loss fell from ${first.toFixed(3)} to ${last.toFixed(3)}`);
  assert.ok(demo.samples[0].length > 100, 'a sample of text appeared');
  // The page kept drawing while the worker trained (a blocked main thread draws no frames).
  const before = await page.evaluate(() => window.demo.frames);
  await page.waitForTimeout(500);
  const frames = await page.evaluate(() => window.demo.frames) - before;
  assert.ok(frames >= 5, `the page drew ${frames} frames in 0.5 s while training`);
  const text = await page.textContent('#samples');
  assert.ok(text.includes(demo.samples[0].slice(0, 20)), 'the sample is shown on the page');
  await page.click('#toggle');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('stopped at step'));
  await page.screenshot({ path: join(artifacts, 'web-demo.png'), fullPage: true });
  console.log(`web-demo: ${demo.steps} steps, loss ${first.toFixed(3)} → ${last.toFixed(3)}; sample: ${JSON.stringify(demo.samples.at(-1).slice(0, 60))}`);
  await page.close();
});

test('under a strict Content-Security-Policy (script-src self + wasm-unsafe-eval) the page still trains', async () => {
  const { page, demo, errors } = await trainOn('/strict/?autostart', { steps: 30 });
  assert.equal(demo.error, null, `no error (got ${demo.error})`);
  assert.deepEqual(errors, []);
  assert.equal(demo.info.evalBlocked, true, 'the policy is in force: new Function is refused in the worker');
  assert.equal(demo.info.wasmGemm, true, "'wasm-unsafe-eval' lets the WebAssembly gemm compile");
  assert.ok(demo.losses.every(Number.isFinite));
  // worker-src 'self' refuses the pool's blob: workers: core falls back to one thread, without an error.
  assert.equal(demo.threads, 1, 'the refused pool falls back to one thread');
  await page.screenshot({ path: join(artifacts, 'web-demo-strict-csp.png'), fullPage: true });
  await page.close();
});

test("the strict policy plus worker-src 'self' blob: lets the pool's workers start", async () => {
  const { page, demo, errors } = await trainOn('/strict-blob/?autostart', { steps: 30 });
  assert.equal(demo.error, null, `no error (got ${demo.error})`);
  assert.deepEqual(errors, []);
  assert.equal(demo.info.evalBlocked, true);
  assert.equal(demo.threads, 2, 'the kernels ran on 2 threads');
  assert.ok(demo.losses.every(Number.isFinite));
  await page.close();
});
