#!/usr/bin/env bash
# Executes every notebook headless with Jupyter and the repo's tslab kernel spec.
# A failing cell fails the run. Outputs go to out/notebooks/ (the committed notebooks
# stay output-free). Set UNROLL_FULL=1 for the full-length runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if ! jupyter nbconvert --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "jupyter-nbconvert is missing: installing it with apt" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-nbconvert >/dev/null
  else
    echo "jupyter-nbconvert is missing: install it (Debian/Ubuntu: sudo apt-get install jupyter-nbconvert)" >&2
    exit 1
  fi
fi

# tslab resolves packages through their built dist/ (it ignores "exports").
(cd ../.. && pnpm exec tsc -b)

export JUPYTER_PATH="$here/jupyter"
mkdir -p out/notebooks
if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=(notebooks/*.ipynb); fi
# Committed notebooks carry no outputs: the executed copies are the results.
node scripts/check-notebook.mjs --clean "${notebooks[@]}"
for nb in "${notebooks[@]}"; do
  start=$(date +%s)
  log="out/notebooks/$(basename "$nb" .ipynb).log"
  if ! jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout=1800 --output-dir=out/notebooks "$nb" >"$log" 2>&1; then
    grep -v -e MissingIDFieldWarning -e 'validate(nb)' "$log" >&2
    echo "FAIL $nb" >&2
    exit 1
  fi
  node scripts/check-notebook.mjs --executed "out/notebooks/$(basename "$nb")"
  echo "ok   $nb ($(( $(date +%s) - start )) s)"
done
# A failure exits above, so reaching here means every notebook passed.
echo "notebooks: ${#notebooks[@]} passed, 0 failed"
