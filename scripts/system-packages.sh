#!/usr/bin/env bash
# Debian/Ubuntu packages hashwatch needs outside Python, installed when missing.
#   pdf      the PDF report: pango and HarfBuzz for WeasyPrint, a Chinese font (Noto CJK)
#   browser  the browser tests: Debian's Chromium and ChromeDriver (never a downloaded browser)
# Usage: scripts/system-packages.sh pdf [browser] [--optional]
# With --optional a machine without apt or root rights gets a warning instead of an error
# (`make install` uses it: the app runs without them; only the PDF report needs them).
set -euo pipefail

optional=0
packages=()
for group in "$@"; do
    case "$group" in
        pdf) packages+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk) ;;
        browser) packages+=(chromium chromium-driver fonts-noto-cjk) ;;
        --optional) optional=1 ;;
        *) echo "unknown package group: $group (pdf, browser)" >&2; exit 2 ;;
    esac
done

command -v dpkg-query >/dev/null || {
    echo "warning: not a Debian system; install by hand: ${packages[*]}" >&2
    exit $((1 - optional))
}
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
# one copy of each
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo="sudo"
    else
        echo "warning: cannot install ${missing[*]} without root; the PDF report needs them" >&2
        exit $((1 - optional))
    fi
fi
echo "installing ${missing[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "warning: apt-get could not install ${missing[*]}" >&2
    exit $((1 - optional))
fi
rm -f "$log"
