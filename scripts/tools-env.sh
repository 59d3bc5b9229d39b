# shellcheck shell=bash
# Source me (bash or zsh) after scripts/setup-tools.sh:  source scripts/tools-env.sh
# Puts the pinned e2e tools first on PATH and exports MOSAIC_TOOLS.
_mosaic_src="${BASH_SOURCE[0]:-$0}"
MOSAIC_TOOLS="$(cd "$(dirname "$_mosaic_src")/.." && pwd)/.tools"
export MOSAIC_TOOLS
case ":$PATH:" in
  *":$MOSAIC_TOOLS/bin:"*) ;;  # already set up; keep PATH from growing
  *) export PATH="$MOSAIC_TOOLS/bin:$MOSAIC_TOOLS/node_modules/.bin:$PATH" ;;
esac
unset _mosaic_src
