#!/usr/bin/env bash
# A notebook outside the workspace, as a user would run one: packs the public packages with
# `pnpm pack`, installs the tarballs with npm into a scratch project in a temp folder, and executes
# outside/outside.ipynb there with Jupyter and a tslab kernel spec written for that folder
# (it trains a small LSTM with fit, plots, saves and reloads a checkpoint). Run by `pnpm test`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"          # packages/examples
root="$(cd "$here/../.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/unroll-outside-XXXXXX")"
cleanup() { if [ "${KEEP_SCRATCH:-}" = 1 ]; then echo "scratch project kept: $scratch" >&2; else rm -rf "$scratch"; fi; }
trap cleanup EXIT

if ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "jupyter-nbconvert is missing: run packages/examples/scripts/run-notebooks.sh first (it installs it as root) or apt-get install jupyter-nbconvert" >&2
  exit 1
fi

# The tarballs hold dist/: build first, then pack each public package (workspace:* becomes a version).
(cd "$root" && pnpm exec tsc -b)
mkdir -p "$scratch/packs" "$scratch/project"
for p in core autograd rnn plot train; do
  (cd "$root/packages/$p" && pnpm pack --pack-destination "$scratch/packs" >/dev/null)
done

cd "$scratch/project"
cat > package.json <<'JSON'
{ "name": "unroll-outside-notebook", "private": true, "type": "module" }
JSON
# tslab type-checks every cell: `console` and friends need @types/node, as in any TypeScript Node project.
npm install --no-audit --no-fund --loglevel=error "$scratch"/packs/*.tgz @types/node@20 >/dev/null
cp "$here/outside/outside.ipynb" .

# The kernel: tslab from the repository's examples package (a tool, like jupyter itself); module
# resolution happens in the notebook's folder, so only the installed tarballs are seen.
mkdir -p "$scratch/jupyter/kernels/tslab"
cat > "$scratch/jupyter/kernels/tslab/kernel.json" <<JSON
{
  "argv": ["node", "$here/node_modules/tslab/bin/tslab", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript (tslab)",
  "language": "typescript"
}
JSON
export JUPYTER_PATH="$scratch/jupyter"
start=$(date +%s)
if ! jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab \
    --ExecutePreprocessor.timeout=600 --output-dir="$scratch/out" outside.ipynb >"$scratch/nbconvert.log" 2>&1; then
  grep -v -e MissingIDFieldWarning -e 'validate(nb)' "$scratch/nbconvert.log" >&2
  echo "FAIL outside notebook (in $scratch/project)" >&2
  exit 1
fi
node "$here/scripts/check-notebook.mjs" --executed "$scratch/out/outside.ipynb"
test -s forecaster.safetensors
mkdir -p "$here/out/notebooks"
cp "$scratch/out/outside.ipynb" "$here/out/notebooks/outside.ipynb"
echo "ok   outside notebook in a scratch npm project ($(( $(date +%s) - start )) s; executed copy: packages/examples/out/notebooks/outside.ipynb)"
