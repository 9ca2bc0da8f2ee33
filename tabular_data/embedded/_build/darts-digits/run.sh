#!/bin/bash
# Train the parts of darts/digits into this folder (resumable: run it again after a kill).
#   WORKERS=1 (default; use 2 only when `uptime` shows a low load) PARTS="heldout uniform-s01 uniform-s0"
# A part traj-K-STRATEGY trains proposals/traj-K-STRATEGY.json (written by
# `python -m strategies.darts_proposals --parent THIS_FOLDER --out THIS_FOLDER/proposals --round K`) with seed 0.
#   nohup nice -n 19 tabular_data/embedded/_build/darts-digits/run.sh >> tabular_data/embedded/_build/darts-digits/run.log 2>&1 &
# The runs of a finished part are (re-)assembled into $NASBENCH_DATA/darts/digits-runs/PART.
# Each part is one `nasbench generate --space darts` job (its settings are stored in PART/config.json on
# the first start; later starts resume it). Commit finished chunks with commit_chunks.sh.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."  # the repository root
[ -f .venv/bin/activate ] && . .venv/bin/activate
echo $$ > "$here/run.pid"  # commit_chunks.sh keeps committing while this process lives
# --overwrite: a finished part is re-assembled from the same chunks, which gives the same files
for part in ${PARTS:-heldout uniform-s01 uniform-s0}; do
    extra=()
    if [[ "$part" == traj-* ]]; then
        strategy="${part#traj-*-}"
        extra=(--archs-file "$here/proposals/$part.json" --proposed-by "$strategy" --seeds 0)
    fi
    nice -n 19 python -m nasbench generate --space darts --part "$part" --build "$here/$part" \
        --workers "${WORKERS:-1}" --overwrite "${extra[@]}" || exit $?
done
