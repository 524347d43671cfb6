#!/usr/bin/env bash
# Retrieval's two entry points on a fresh Debian/Ubuntu machine:
#   ./build.sh serve   install prerequisites if missing, build, and start the server on the embedded SQLite store
#   ./build.sh test    install prerequisites if missing, start a throwaway PostgreSQL, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

# python3-grpcio: examples/python-grpc, run by the Server tests against a real server.
APT_PACKAGES=(cmake g++ libfaiss-dev libopenblas-dev postgresql-15 chromium python3-grpcio)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_prerequisites() {
    if ! command -v dotnet >/dev/null 2>&1; then
        echo "build.sh: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
        exit 1
    fi
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if ((${#missing[@]} > 0)); then
        log "installing apt packages: ${missing[*]}"
        local sudo=()
        [[ "$(id -u)" == 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    install_console_files
}

# The operator console's charting library comes from npm (lockfile); Debian's npm only when no npm is on the path.
install_console_files() {
    if ! command -v npm >/dev/null 2>&1; then
        log "installing apt packages: nodejs npm"
        local sudo=()
        [[ "$(id -u)" == 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    log "installing the operator console's npm packages"
    src/Retrieval.Server/OperatorConsole/install-vendor.sh
}

serve() {
    ensure_prerequisites
    log "building the server"
    dotnet build src/Retrieval.Server -c Release -nologo -v quiet
    log "starting: REST on http://127.0.0.1:7700, gRPC on http://127.0.0.1:7701, data in ./data"
    # A development server on loopback: authentication off (the server warns), so the README's tour runs as written.
    # Retrieval__Auth__Mode=enabled ./build.sh serve turns it on; docs/security.md has the production set-up.
    Retrieval__Auth__Mode="${Retrieval__Auth__Mode:-disabled}" exec dotnet src/Retrieval.Server/bin/Release/net10.0/Retrieval.Server.dll --contentRoot "$PWD/src/Retrieval.Server" "$@"
}

run_tests() {
    ensure_prerequisites
    log "starting a throwaway PostgreSQL"
    eval "$(tests/postgres/start-throwaway.sh)"
    trap 'tests/postgres/stop-throwaway.sh >&2 || true' EXIT
    log "building"
    dotnet build Retrieval.sln -c Release -nologo -v quiet
    log "running the test suite"
    # A hung test fails the run (with a dump of the stuck process) instead of running into the CI time limit.
    dotnet test Retrieval.sln -c Release --no-build -nologo --logger "console;verbosity=normal" \
        --blame-hang-timeout 10m --blame-hang-dump-type mini "$@"
}

case "${1:-}" in
    serve) shift; serve "$@" ;;
    test) shift; run_tests "$@" ;;
    *) echo "usage: ./build.sh serve|test" >&2; exit 2 ;;
esac
