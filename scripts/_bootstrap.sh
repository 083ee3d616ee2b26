# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source it, don't run it:
#
#     cd "$(dirname "${BASH_SOURCE[0]}")/.."   # repo root
#     source scripts/_bootstrap.sh
#     bt_require_python
#     bt_bootstrap_venv requirements.txt
#
# Why this exists: a fresh machine has nothing but python3, and nothing may
# depend on what someone installed by hand. So every entry point creates .venv
# itself and pip-installs the pinned requirements -- but only when they changed,
# because reinstalling on every start is slow. Only bash and python3 are used.

# Repo root = parent of this file's folder, whatever the caller's cwd was.
BT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BT_VENV="$BT_ROOT/.venv"
BT_PY="$BT_VENV/bin/python" # valid after bt_bootstrap_venv; used by the callers
export BT_PY

bt_say() { printf '==> %s\n' "$*"; }
bt_warn() { printf '\n!!! %s\n\n' "$*" >&2; }
bt_die() {
    printf '\nERROR: %s\n\n' "$*" >&2
    exit 1
}

# The interpreter used to *create* .venv. PYTHON overrides it (e.g.
# PYTHON=python3.12 scripts/run); otherwise plain python3 from PATH.
bt_require_python() {
    BT_SYS_PY="${PYTHON:-python3}"
    if ! command -v "$BT_SYS_PY" >/dev/null 2>&1; then
        bt_die "'$BT_SYS_PY' was not found on PATH. BreachTrack needs Python >= 3.11 (set PYTHON=/path/to/python3 to pick one)."
    fi
    if ! "$BT_SYS_PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        local found
        found="$("$BT_SYS_PY" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)"
        bt_die "BreachTrack needs Python >= 3.11, but '$BT_SYS_PY' is ${found:-of unknown version}. Install a newer Python or set PYTHON=/path/to/python3.11+."
    fi
}

# bt_bootstrap_venv REQUIREMENTS_FILE
#
# Makes sure .venv exists, runs Python >= 3.11 and has REQUIREMENTS_FILE (and
# every file it pulls in with -r/-c) installed. The stamp file
# .venv/.breachtrack-requirements records the Python version and the sha256 of
# each requirements file that was installed; pip runs only when one of the
# needed files' hash (or the Python version) differs from the stamp. Because
# requirements-test.txt includes requirements.txt, a venv bootstrapped by
# scripts/test also satisfies scripts/run without a reinstall.
#
# The work is done in Python (hashing, parsing -r lines, an flock so that
# scripts/run and scripts/test started at the same time don't pip-install into
# the same venv concurrently). It runs with the *system* python3, since the
# venv may not exist yet.
bt_bootstrap_venv() {
    local req="$1"
    [[ -n "${BT_SYS_PY:-}" ]] || bt_require_python
    "$BT_SYS_PY" - "$BT_VENV" "$BT_ROOT/$req" <<'PY' || bt_die "could not set up $BT_VENV (see the messages above)."
import fcntl, hashlib, os, re, shutil, subprocess, sys
from pathlib import Path

venv, req = Path(sys.argv[1]), Path(sys.argv[2])
py = venv / "bin" / "python"
stamp = venv / ".breachtrack-requirements"
lock_name = ".bootstrap.lock"


def say(msg):
    print(f"==> {msg}", flush=True)


def closure(path, seen=None):
    """The requirements file plus every file it includes with -r / -c."""
    seen = {} if seen is None else seen
    path = path.resolve()
    if path in seen:
        return seen
    if not path.is_file():
        sys.exit(f"ERROR: requirements file {path} does not exist")
    data = path.read_bytes()
    seen[path] = hashlib.sha256(data).hexdigest()
    for line in data.decode("utf-8").splitlines():
        m = re.match(r"\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)", line)
        if m:
            closure(path.parent / m.group(1), seen)
    return seen


def venv_python_ok():
    """The venv's interpreter runs, is >= 3.11 and has pip."""
    if not py.exists():
        return None
    try:
        out = subprocess.run(
            [str(py), "-c", "import sys, pip; assert sys.version_info >= (3, 11); print(sys.version.split()[0])"],
            capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


venv.mkdir(exist_ok=True)
# Serialise bootstraps of this venv. The lock file lives inside .venv (already
# git-ignored) and survives a rebuild because we never delete it.
lock = open(venv / lock_name, "w")
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    say("another script is setting up .venv; waiting for it ...")
    fcntl.flock(lock, fcntl.LOCK_EX)

version = venv_python_ok()
if version is None:
    # Missing, half-created, made by an old Python, or its base interpreter
    # was removed: rebuild it from scratch (keeping only the held lock file).
    if any(p.name != lock_name for p in venv.iterdir()):
        say(f"{venv} is broken or too old; recreating it")
    for p in venv.iterdir():
        if p.name == lock_name:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    say(f"creating {venv} with {sys.executable} ({sys.version.split()[0]})")
    if subprocess.run([sys.executable, "-m", "venv", str(venv)]).returncode != 0:
        sys.exit(
            "ERROR: 'python3 -m venv' failed. On Debian/Ubuntu the venv module is a "
            "separate package: install python3-venv (or use a python.org/pyenv Python)."
        )
    version = venv_python_ok()
    if version is None:
        sys.exit(f"ERROR: {py} does not run after creating the venv")

wanted = {f"python {version}"} | {f"sha256 {h} {p}" for p, h in closure(req).items()}
have = set(stamp.read_text().splitlines()) if stamp.exists() else set()
if wanted <= have:
    sys.exit(0)  # up to date: the fast path on every start

say(f"installing {req.name} into .venv (only when requirements change; a fresh machine takes a few minutes)")
stamp.unlink(missing_ok=True)  # an interrupted install must not look complete
cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check",
       "--progress-bar", "off", "--quiet", "-r", str(req)]
if subprocess.run(cmd).returncode != 0:
    sys.exit(f"ERROR: pip install -r {req.name} failed")
# Record exactly what is installed now. Entries for files we did not install
# this time are dropped on purpose: after requirements.txt changes and
# scripts/run reinstalls it, scripts/test must reinstall its extras too.
tmp = stamp.with_suffix(".tmp")
tmp.write_text("\n".join(sorted(wanted)) + "\n")
tmp.replace(stamp)
say(".venv is ready")
PY
}

# bt_port_open HOST PORT [TIMEOUT_SECONDS] -- true if a TCP connect succeeds.
bt_port_open() {
    "${BT_SYS_PY:-python3}" - "$1" "$2" "${3:-1}" <<'PY'
import socket, sys
host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    socket.create_connection((host, port), timeout=timeout).close()
except OSError:
    sys.exit(1)
PY
}
