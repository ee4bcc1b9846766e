#!/usr/bin/env bash
# Set up everything leaflets needs on a fresh machine, then build the demo or run the tests.
#
#   ./dev.sh demo [leaflets build options]   build the shipped leaflets into build/
#   ./dev.sh test [pytest options]           run the whole test suite
#   ./dev.sh docs [serve]                    build the guide in docs/ into site/ (or serve it live)
#
# It installs, when missing: the Debian libraries WeasyPrint renders with
# (with apt-get, when run as root), Chromium for the browser tests, a virtualenv
# in .venv (or $LEAFLETS_VENV), leaflets with its test and docs tools in that virtualenv,
# and axe-core (npm) for the accessibility test.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${LEAFLETS_VENV:-.venv}
PYTHON=${PYTHON:-python3}
# Pango draws the text; HarfBuzz's subsetter keeps embedded fonts small.
# poppler-utils (pdftoppm) and zbar-tools (zbarimg) let the tests read the QR code back.
# Chromium runs the desk's browser tests (Playwright cannot download a browser here).
DEBIAN_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig poppler-utils zbar-tools
    chromium)
# axe-core checks the desk's accessibility in the browser tests; npm puts it in
# .node/ (git-ignored), where tests/test_desk_browser.py finds it.
AXE_CORE_VERSION=4.14.1

say() { printf '%s\n' "$*" >&2; }

install_debian_packages() {
    local missing=() package
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for package in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "Installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        say "warning: missing Debian packages (install them as root): ${missing[*]}"
    fi
}

install_python_packages() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtualenv $VENV"
        if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
            # Debian splits ensurepip into python3-venv.
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
                rm -rf "$VENV"
                "$PYTHON" -m venv "$VENV"
            else
                say "error: cannot create a virtualenv; install python3-venv"; exit 1
            fi
        fi
    fi
    # Reinstall only when the project's requirements changed since the last time.
    local stamp="$VENV/.leaflets-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "Installing leaflets and its dependencies into $VENV"
        # The docs tools too: tests/test_docs.py builds the guide.
        "$VENV/bin/python" -m pip install --quiet -e ".[test,docs]"
        touch "$stamp"
    fi
}

install_node_packages() {
    [ -f .node/node_modules/axe-core/axe.min.js ] && return 0
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "Installing Debian packages: npm"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                npm >/dev/null
        else
            say "warning: npm is missing (install it as root); the desk's axe-core test needs it"
            return 0
        fi
    fi
    say "Installing axe-core $AXE_CORE_VERSION into .node"
    mkdir -p .node
    npm install --prefix .node --no-save --no-audit --no-fund --no-package-lock --silent \
        "axe-core@$AXE_CORE_VERSION" >/dev/null
}

setup() {
    install_debian_packages
    install_python_packages
    install_node_packages
}

case "${1:-}" in
    demo)
        shift
        setup
        exec "$VENV/bin/leaflets" build "$@"
        ;;
    test)
        shift
        setup
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    docs)
        shift
        install_python_packages
        if [ "${1:-}" = serve ]; then
            shift
            exec "$VENV/bin/mkdocs" serve "$@"
        fi
        # --strict: a broken link or a page missing from the nav fails the build.
        exec "$VENV/bin/mkdocs" build --strict --site-dir site "$@"
        ;;
    setup)
        setup
        ;;
    *)
        say "usage: ./dev.sh demo|test|docs|setup [options]"
        exit 2
        ;;
esac
